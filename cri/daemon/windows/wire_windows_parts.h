#pragma once
// The Windows platform parts (PlatformParts for WireCore) built from the
// config over a set of Windows API tables and ports. wiring_windows.cc
// loads the real tables and calls this; Linux tests pass the fakes, so the
// whole CRI service over the Windows handlers runs here as on a node.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cri/daemon/config.h"
#include "cri/daemon/wiring.h"
#include "image/layers/wcifs/api.h"
#include "image/registry/platform.h"
#include "network/hns/api.h"
#include "runtime/stats/stats_source.h"
#include "runtime/windows/hcs/api.h"
#include "runtime/windows/host_path/api.h"
#include "runtime/windows/hostprocess/process_api.h"
#include "runtime/windows/jobobject/api.h"
#include "runtime/windows/readiness/readiness_api.h"
#include "runtime/windows/shim/shim_port.h"

namespace silo::cri {

// What a Windows host offers silod. Tables are not owned and must outlive
// the daemon. A table that could not be loaded is null with the reason in
// `missing` (hcs, hcn, jobs) or `layers_unavailable` (the WCIFS calls).
struct WindowsHostApis {
  const runtime::windows::hcs::HcsApi* hcs = nullptr;
  const network::hns::HcnApi* hcn = nullptr;
  const runtime::windows::jobobject::JobApi* jobs = nullptr;
  std::vector<std::string> missing;  // one message per table not loaded
  const image::layers::wcifs::LayerApi* layers = nullptr;
  absl::Status layers_unavailable;  // not OK when `layers` is null
  const runtime::windows::host_path::HostPathApi* host_paths = nullptr;
  const runtime::windows::hostprocess::ProcessApi* processes = nullptr;
  const runtime::windows::readiness::ReadinessApi* readiness = nullptr;  // required
  // One monitor (silo-shim.exe) per container.
  std::shared_ptr<runtime::windows::shim::ShimPort> shims;
  // Counters of a job object by name (WindowsStatsSourceOptions::read_job).
  std::function<absl::StatusOr<runtime::stats::GroupCounters>(const std::string& job_name)> read_job;
  std::string host_name;
  bool bind_filter_available = false;  // HostProcess containers in a silo
  int host_cpus = 1;
  // How HCS names a folder silod made (a layer): the same path on Windows;
  // the Linux tests' stand-in for the host's drive. Null = unchanged.
  std::function<std::string(const std::string& local_path)> hcs_path;
  // What images are pulled for: windows/amd64 and the host's os.version.
  image::registry::Platform image_platform;
};

absl::StatusOr<PlatformParts> WireWindowsParts(const Config& config, WindowsHostApis apis);

}  // namespace silo::cri
