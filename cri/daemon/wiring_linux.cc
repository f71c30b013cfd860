#include "cri/daemon/wiring.h"
#include "network/cni/cni_network.h"
#include "runtime/linux/oci_backend.h"

namespace silo::cri {

absl::StatusOr<Backends> WireBackends(const Config& config) {
  Backends b;
  b.compute = std::make_unique<runtime::linux_backend::OciBackend>(config.runtime.binary);
  b.network = std::make_unique<network::cni::CniNetwork>(config.cni.bin_dirs, config.cni.conf_dir);
  b.cgroup_driver = config.runtime.cgroup_driver;
  return b;
}

}  // namespace silo::cri
