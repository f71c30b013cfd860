#include "cri/server/service.h"

namespace silo::cri {

absl::Status Service::RuntimeConfig(const ::runtime::v1::RuntimeConfigRequest& request,
                                    ::runtime::v1::RuntimeConfigResponse* response) {
  // Windows has no cgroups: the response stays empty, as kubelet expects there.
  if (options_.cgroup_driver.empty()) return absl::OkStatus();
  response->mutable_linux()->set_cgroup_driver(options_.cgroup_driver == "systemd"
                                                   ? ::runtime::v1::SYSTEMD
                                                   : ::runtime::v1::CGROUPFS);
  return absl::OkStatus();
}

}  // namespace silo::cri
