#include <windows.h>

#include <string>

#include "cri/daemon/windows/wire_windows_parts.h"
#include "cri/daemon/wiring.h"
#include "image/layers/wcifs/api_win32.h"
#include "network/hns/api_win32.h"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/hcs/api_win32.h"
#include "runtime/windows/host_path/api_win32.h"
#include "runtime/windows/hostprocess/api_win32.h"
#include "runtime/windows/hresult.h"
#include "runtime/windows/jobobject/api_win32.h"
#include "runtime/windows/jobobject/job_statistics.h"
#include "runtime/windows/readiness/readiness_api_win32.h"
#include "runtime/windows/shim/shim_port_win32.h"
#include "runtime/windows/stats/windows_stats.h"

namespace silo::cri {
namespace {

namespace rw = runtime::windows;

std::string HostName() {
  wchar_t name[256] = {};
  DWORD size = static_cast<DWORD>(std::size(name));
  if (!GetComputerNameExW(ComputerNameDnsHostname, name, &size)) return "";
  return win32::WideToUtf8(std::wstring_view(name, size));
}

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

// The real tables of this host (a host without the Containers feature lacks
// some DLLs: the handlers then report why), over the portable wiring.
absl::StatusOr<PlatformParts> WirePlatform(const Config& config) {
  WindowsHostApis apis;
  if (auto layers = image::layers::wcifs::LoadLayerApi(); layers.ok()) {
    apis.layers = *layers;
  } else {
    apis.layers_unavailable = rw::HrStatusToStatus(layers.status(), "load vmcompute.dll (WCIFS layers)", "");
  }
  if (auto hcs = rw::hcs::LoadHcsApi(); hcs.ok()) {
    apis.hcs = *hcs;
  } else {
    apis.missing.push_back(std::string(rw::HrStatusToStatus(hcs.status(), "load computecore.dll", "").message()));
  }
  if (auto hcn = network::hns::LoadHcnApi(); hcn.ok()) {
    apis.hcn = *hcn;
  } else {
    apis.missing.push_back(std::string(rw::HrStatusToStatus(hcn.status(), "load computenetwork.dll", "").message()));
  }
  if (auto jobs = rw::jobobject::LoadJobApi(); jobs.ok()) {
    apis.jobs = *jobs;
  } else {
    apis.missing.push_back(std::string(rw::HrStatusToStatus(jobs.status(), "load the job object API", "").message()));
  }
  apis.host_paths = &rw::host_path::Win32HostPathApi();
  apis.processes = &rw::hostprocess::Win32ProcessApi();
  apis.readiness = &rw::readiness::Win32ReadinessApi();
  // One silo-shim.exe per container holds its compute system (it ships
  // beside silod.exe).
  apis.shims = rw::shim::NewWin32ShimPort(rw::shim::ShimExeBesideThisProgram());
  apis.read_job = ReadJob;
  apis.host_name = HostName();
  apis.bind_filter_available = rw::hostprocess::BindFilterAvailable();
  apis.host_cpus = static_cast<int>(GetActiveProcessorCount(ALL_PROCESSOR_GROUPS));
  apis.image_platform = image::registry::HostPlatform();
  return WireWindowsParts(config, std::move(apis));
}

}  // namespace silo::cri
