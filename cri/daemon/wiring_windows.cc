#include <windows.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cri/daemon/wiring.h"
#include "network/cni/cni_network.h"
#include "network/hns/api_win32.h"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/handler/unavailable_parts.h"
#include "runtime/windows/handler/windows_handlers.h"
#include "runtime/windows/hcs/api_win32.h"
#include "runtime/windows/host_path/api_win32.h"
#include "runtime/windows/hresult.h"
#include "runtime/windows/jobobject/api_win32.h"
#include "runtime/windows/jobobject/job_statistics.h"
#include "runtime/windows/readiness/readiness_api_win32.h"
#include "runtime/windows/readiness/readiness_status.h"
#include "runtime/windows/stats/windows_stats.h"
#include "runtime/windows/stats/windows_stats_source.h"

namespace silo::cri {
namespace {

namespace rw = runtime::windows;

std::string HostName() {
  wchar_t name[256] = {};
  DWORD size = static_cast<DWORD>(std::size(name));
  if (!GetComputerNameExW(ComputerNameDnsHostname, name, &size)) return "";
  return win32::WideToUtf8(std::wstring_view(name, size));
}

// Why silod cannot make container root filesystems yet: the WCIFS layer
// store is not built in. Reported as not ready rather than failing pods.
constexpr char kNoLayerStore[] =
    "the WCIFS layer store (image layers to container root filesystems) is not built into this silod yet";

absl::StatusOr<runtime::stats::GroupCounters> ReadJob(const std::string& name) {
  win32::Result<rw::jobobject::JobStatistics> read = rw::jobobject::ReadJobStatistics(win32::Utf8ToWide(name));
  if (!read.ok()) return rw::HrStatusToStatus(read.status(), "read job object", name);
  rw::JobAccounting job;
  job.total_user_time_100ns = read->user_time_100ns;
  job.total_kernel_time_100ns = read->kernel_time_100ns;
  job.total_page_fault_count = read->page_faults;
  job.active_processes = read->active_processes;
  job.job_memory_bytes = read->commit_bytes;
  job.job_memory_limit_bytes = read->memory_limit_bytes;
  return rw::FromJobObject(job, read->private_working_sets);
}

}  // namespace

absl::StatusOr<PlatformParts> WirePlatform(const Config& config) {
  PlatformParts p;
  // NetworkReady follows the Windows CNI config (plugins and a network
  // config present).
  p.network = std::make_unique<network::cni::CniNetwork>(config.cni.bin_dirs, config.cni.conf_dir);
  p.node_hostname = HostName();
  p.layers_unavailable = absl::FailedPreconditionError(kNoLayerStore);

  rw::WindowsHandlerParts parts;
  // The API tables; a host without the Containers feature lacks the DLLs.
  std::vector<std::string> missing;
  if (auto hcs = rw::hcs::LoadHcsApi(); hcs.ok()) {
    parts.hcs = *hcs;
  } else {
    missing.push_back(std::string(rw::HrStatusToStatus(hcs.status(), "load computecore.dll", "").message()));
  }
  if (auto hcn = network::hns::LoadHcnApi(); hcn.ok()) {
    parts.hcn = *hcn;
  } else {
    missing.push_back(std::string(rw::HrStatusToStatus(hcn.status(), "load computenetwork.dll", "").message()));
  }
  if (auto jobs = rw::jobobject::LoadJobApi(); jobs.ok()) {
    parts.jobs = *jobs;
  } else {
    missing.push_back(std::string(rw::HrStatusToStatus(jobs.status(), "load the job object API", "").message()));
  }
  if (!missing.empty()) {
    parts.unavailable = absl::FailedPreconditionError(
        absl::StrCat("Windows containers cannot run on this host: ", absl::StrJoin(missing, "; ")));
  }
  // The host probe (Containers feature DLLs, vmcompute and hns running),
  // then the layer store, at every Status call.
  std::function<absl::Status()> host_ready = rw::readiness::ReadinessCheck(rw::readiness::Win32ReadinessApi());
  parts.ready = [host_ready]() -> absl::Status {
    if (absl::Status s = host_ready(); !s.ok()) return s;
    return absl::FailedPreconditionError(kNoLayerStore);
  };
  const network::hns::HcnApi* hcn = parts.hcn;
  parts.make_stats = [hcn] {
    rw::WindowsStatsSourceOptions stats;
    stats.read_job = ReadJob;
    stats.hcn = hcn;
    return std::make_unique<rw::WindowsStatsSource>(std::move(stats));
  };
  parts.make_streaming = [] { return rw::UnbuiltWindowsStreaming(); };
  parts.sandbox.state_dir = config.state + "/sandboxes";
  parts.sandbox.sandbox_image = config.sandbox.image;
  parts.sandbox.holder = config.sandbox.holder == "none" ? rw::PodHolder::kNone : rw::PodHolder::kPause;
  parts.sandbox.prepare_pause = [](const std::string&, const std::string&) -> absl::StatusOr<rw::PauseImage> {
    return absl::FailedPreconditionError(kNoLayerStore);
  };
  parts.sandbox.release_pause = [](const std::string&) { return absl::OkStatus(); };  // none was prepared
  parts.containers.state_dir = config.state + "/containers";
  parts.containers.host_paths = &rw::host_path::Win32HostPathApi();
  parts.containers.prepare_rootfs = [](const runtime::container::CreateSpec&) -> absl::StatusOr<rw::WindowsRootfs> {
    return absl::FailedPreconditionError(kNoLayerStore);
  };
  parts.containers.release_rootfs = [](const std::string&) { return absl::OkStatus(); };  // none was prepared
  p.register_handler_types = [parts](runtime::handler::HandlerRegistry& registry) {
    rw::RegisterWindowsHandlerTypes(registry, parts);
  };
  return p;
}

}  // namespace silo::cri
