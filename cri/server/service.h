#pragma once
// The CRI service: platform-neutral handlers over the ports. One .cc per RPC
// (version.cc, status.cc, ...); this header holds the shared state.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "cri/server/cri_service.h"
#include "network/pod_network.h"
#include "runtime/compute_backend.h"

namespace silo::cri {

struct ServiceOptions {
  std::string runtime_version;             // silo's own version
  std::string cgroup_driver;               // "cgroupfs" or "systemd" on Linux; "" on Windows
  struct Handler {
    std::string name;
    bool recursive_read_only_mounts = false;
    bool user_namespaces = false;
  };
  std::vector<Handler> handlers;
  std::string config_json;                 // effective config, for Status(verbose)
  std::string build_json;                  // build details, for Status(verbose)
};

class Service final : public CriService {
 public:
  // `backend` and `network` must outlive the service.
  Service(ServiceOptions options, const runtime::ComputeBackend* backend,
          const network::PodNetwork* network)
      : options_(std::move(options)), backend_(backend), network_(network) {}

  absl::Status Version(const ::runtime::v1::VersionRequest& request,
                       ::runtime::v1::VersionResponse* response) override;
  absl::Status Status(const ::runtime::v1::StatusRequest& request,
                      ::runtime::v1::StatusResponse* response) override;
  absl::Status RuntimeConfig(const ::runtime::v1::RuntimeConfigRequest& request,
                             ::runtime::v1::RuntimeConfigResponse* response) override;
  absl::Status UpdateRuntimeConfig(const ::runtime::v1::UpdateRuntimeConfigRequest& request,
                                   ::runtime::v1::UpdateRuntimeConfigResponse* response) override;

  std::string pod_cidr() const;

 private:
  const ServiceOptions options_;
  const runtime::ComputeBackend* backend_;
  const network::PodNetwork* network_;

  mutable std::mutex mu_;
  std::string pod_cidr_ ABSL_GUARDED_BY(mu_);
};

}  // namespace silo::cri
