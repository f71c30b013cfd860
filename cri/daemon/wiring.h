#pragma once
// The only place that names concrete backends: one wiring_<os>.cc per platform
// builds the ports the CRI service runs on.

#include <memory>

#include "cri/daemon/config.h"
#include "network/pod_network.h"
#include "runtime/compute_backend.h"

namespace silo::cri {

struct Backends {
  std::unique_ptr<runtime::ComputeBackend> compute;
  std::unique_ptr<network::PodNetwork> network;
  std::string cgroup_driver;  // reported by RuntimeConfig; empty where there are no cgroups
};

absl::StatusOr<Backends> WireBackends(const Config& config);

}  // namespace silo::cri
