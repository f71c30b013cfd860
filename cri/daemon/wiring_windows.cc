#include <windows.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cri/daemon/wiring.h"
#include "image/layers/wcifs/api_win32.h"
#include "image/layers/wcifs/layer_calls.h"
#include "image/layers/wcifs/wcifs_layer_store.h"
#include "image/layers/wcifs/wcifs_layer_unpacker.h"
#include "network/cni/cni_network.h"
#include "network/hns/api_win32.h"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/handler/unavailable_parts.h"
#include "runtime/windows/handler/windows_handlers.h"
#include "runtime/windows/hcs/api_win32.h"
#include "runtime/windows/host_path/api_win32.h"
#include "runtime/windows/hostprocess/api_win32.h"
#include "runtime/windows/hresult.h"
#include "runtime/windows/jobobject/api_win32.h"
#include "runtime/windows/jobobject/job_statistics.h"
#include "runtime/windows/readiness/readiness_api_win32.h"
#include "runtime/windows/readiness/readiness_status.h"
#include "runtime/windows/shim/shim_port_win32.h"
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

namespace wcifs = image::layers::wcifs;

// Why pods that need a pause container cannot start yet: nothing turns the
// sandbox image into a pause root filesystem. Reported as not ready rather
// than failing each pod; `sandbox.holder: none` runs pods without one.
constexpr char kNoPauseRootfs[] =
    "the pause container's root filesystem is not wired into this silod yet (sandbox.holder: none runs pods "
    "without a pause container)";

// The container's read-only parents as HCS wants them: nearest first, each
// with its NameToGuid id. `layer_dirs` comes bottom (base) first.
absl::StatusOr<rw::WindowsRootfs> RootfsOf(const wcifs::LayerCalls& calls,
                                           const runtime::container::CreateSpec& spec) {
  if (spec.rootfs.empty()) return absl::FailedPreconditionError("the container has no prepared scratch layer");
  rw::WindowsRootfs rootfs;
  rootfs.scratch_volume_path = spec.rootfs;
  for (auto dir = spec.layer_dirs.rbegin(); dir != spec.layer_dirs.rend(); ++dir) {
    win32::Result<std::string> id = calls.LayerId(*dir);
    if (!id.ok()) return rw::HrStatusToStatus(id.status(), "layer id of", *dir);
    rootfs.parent_layers.push_back(rw::LayerRef{*id, *dir});
  }
  return rootfs;
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

absl::StatusOr<PlatformParts> WirePlatform(const Config& config) {
  PlatformParts p;
  // NetworkReady follows the Windows CNI config (plugins and a network
  // config present).
  p.network = std::make_unique<network::cni::CniNetwork>(config.cni.bin_dirs, config.cni.conf_dir);
  p.node_hostname = HostName();
  // Image layers and containers' scratch layers: vmcompute.dll's WCIFS calls.
  const wcifs::LayerApi* layer_api = nullptr;
  if (auto loaded = wcifs::LoadLayerApi(); loaded.ok()) {
    layer_api = *loaded;
    const std::string root = config.root;
    p.make_layer_store = [layer_api, root](const image::ImageManager& images) -> std::unique_ptr<image::LayerStore> {
      wcifs::WcifsLayerStoreOptions store;
      store.layer_dir = [&images](const std::string& chain_id) { return images.SnapshotDir(chain_id); };
      store.root = root + "/wcifs";
      return wcifs::MakeWcifsLayerStore(std::move(store), layer_api);
    };
    wcifs::WcifsLayerUnpackerOptions unpack;
    unpack.staging_root = config.root + "/wcifs-staging";  // outside the image layers' folder
    p.layer_unpacker = std::make_shared<wcifs::WcifsLayerUnpacker>(layer_api, std::move(unpack));
  } else {
    p.layers_unavailable = rw::HrStatusToStatus(loaded.status(), "load vmcompute.dll (WCIFS layers)", "");
  }

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
  const absl::Status layers = p.layers_unavailable;
  const bool needs_pause = config.sandbox.holder != "none";
  parts.ready = [host_ready, layers, needs_pause]() -> absl::Status {
    if (absl::Status s = host_ready(); !s.ok()) return s;
    if (!layers.ok()) return layers;
    if (needs_pause) return absl::FailedPreconditionError(kNoPauseRootfs);
    return absl::OkStatus();
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
    return absl::FailedPreconditionError(kNoPauseRootfs);
  };
  parts.sandbox.release_pause = [](const std::string&) { return absl::OkStatus(); };  // none was prepared
  parts.containers.state_dir = config.state + "/containers";
  parts.containers.host_paths = &rw::host_path::Win32HostPathApi();
  // The scratch layer is the layer store's (ContainerManager prepares and
  // releases it); the host only names it and the parents in the document.
  if (layer_api != nullptr) {
    auto calls = std::make_shared<wcifs::LayerCalls>(layer_api);
    parts.containers.prepare_rootfs = [calls](const runtime::container::CreateSpec& spec) {
      return RootfsOf(*calls, spec);
    };
  } else {
    const absl::Status layers = p.layers_unavailable;
    parts.containers.prepare_rootfs = [layers](const runtime::container::CreateSpec&)
        -> absl::StatusOr<rw::WindowsRootfs> { return layers; };
  }
  parts.containers.release_rootfs = [](const std::string&) { return absl::OkStatus(); };  // the layer store's
  // One silo-shim.exe per container holds its compute system (it ships
  // beside silod.exe).
  parts.containers.shims = rw::shim::NewWin32ShimPort(rw::shim::ShimExeBesideThisProgram());
  // HostProcess containers: processes in named Job Objects on the host,
  // bound into a silo where the bind filter exists (WS2022 and later).
  parts.processes = &rw::hostprocess::Win32ProcessApi();
  parts.hostprocess.bind_filter_available = rw::hostprocess::BindFilterAvailable();
  parts.hostprocess.host_cpus = std::max<int>(1, static_cast<int>(GetActiveProcessorCount(ALL_PROCESSOR_GROUPS)));
  p.register_handler_types = [parts](runtime::handler::HandlerRegistry& registry) {
    rw::RegisterWindowsHandlerTypes(registry, parts);
  };
  return p;
}

}  // namespace silo::cri
