#include "cri/server/service.h"

namespace silo::cri {

// The CRI "version" field is the kubelet API version, which every runtime
// reports as 0.1.0 (containerd and CRI-O do the same).
constexpr char kKubeletApiVersion[] = "0.1.0";

absl::Status Service::Version(const ::runtime::v1::VersionRequest& request,
                              ::runtime::v1::VersionResponse* response) {
  response->set_version(kKubeletApiVersion);
  response->set_runtime_name("silo");
  response->set_runtime_version(options_.runtime_version);
  response->set_runtime_api_version("v1");
  return absl::OkStatus();
}

}  // namespace silo::cri
