#include "cri/daemon/windows/wire_windows_parts.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cri/daemon/windows/hosted_rootfs.h"
#include "cri/daemon/windows/pause_rootfs.h"
#include "cri/daemon/windows/utility_vm_files.h"
#include "cri/streaming/tcp_forward.h"
#include "image/layers/wcifs/wcifs_layer_store.h"
#include "image/layers/wcifs/wcifs_layer_unpacker.h"
#include "network/cni/cni_network.h"
#include "network/cni/plugin_exec.h"
#include "network/cni/windows_plugin_lookup.h"
#include "network/hns/hcn_pod_network.h"
#include "runtime/windows/handler/unavailable_parts.h"
#include "runtime/windows/handler/windows_handlers.h"
#include "runtime/windows/hypervisor/adapter_id.h"
#include "runtime/windows/readiness/readiness_status.h"
#include "runtime/windows/stats/windows_stats_source.h"

namespace silo::cri {

namespace rw = runtime::windows;
namespace wcifs = image::layers::wcifs;

namespace {

// The "hypervisor" type's parts: boot files and hosted layers from the
// WCIFS store (or the reason there are none), the host's processors, and
// adapter GUIDs from the system's random source.
void WireHypervisorParts(const Config& config, const WindowsHostApis& apis, std::shared_ptr<UtilityVmFiles> uvm_files,
                         std::shared_ptr<HostedRootfsSource> hosted, const absl::Status& layers_unavailable,
                         rw::hypervisor::HypervisorParts& hv) {
  namespace hvn = rw::hypervisor;
  hv.sandbox.host_processor_count = static_cast<uint32_t>(std::max(1, apis.host_cpus));
  if (uvm_files != nullptr) {
    const std::string image = config.sandbox.image;
    hv.sandbox.prepare_vm = [uvm_files, image](const std::string& id) { return uvm_files->Prepare(id, image); };
    hv.sandbox.release_vm = [uvm_files](const std::string& id) { return uvm_files->Release(id); };
    hv.prepare_layers = [hosted](const runtime::container::CreateSpec& spec) { return hosted->Prepare(spec); };
  } else {
    const absl::Status why = layers_unavailable;
    hv.sandbox.prepare_vm = [why](const std::string&) -> absl::StatusOr<hvn::UvmBootFiles> { return why; };
    hv.sandbox.release_vm = [](const std::string&) { return absl::OkStatus(); };  // none was prepared
    hv.prepare_layers = [why](const runtime::container::CreateSpec&) -> absl::StatusOr<hvn::HostedRootfs> {
      return why;
    };
  }
  // The scratch is the layer store's (RemoveContainer destroys it).
  hv.release_layers = [](const std::string&) { return absl::OkStatus(); };
  if (apis.processes != nullptr && apis.processes->random_bytes != nullptr) {
    const runtime::windows::hostprocess::ProcessApi* processes = apis.processes;
    hv.sandbox.new_adapter_id = [processes]() -> absl::StatusOr<std::string> {
      return hvn::RandomGuid(processes->random_bytes);
    };
  }
}

}  // namespace

absl::StatusOr<PlatformParts> WireWindowsParts(const Config& config, WindowsHostApis apis) {
  if (apis.readiness == nullptr) return absl::FailedPreconditionError("Windows wiring: no readiness API table");
  if (!apis.read_job) return absl::FailedPreconditionError("Windows wiring: no job object reader");
  PlatformParts p;
  // Pods join their HCN namespace through the CNI plugins (CNI_NETNS = the
  // namespace GUID); NetworkReady follows the CNI config (plugins and a
  // network config present). Without the HCN table no pod gets that far.
  // Plugins are found as on Windows (type.exe first) wherever this is built.
  network::cni::PluginFinder find_plugin = [](const std::vector<std::string>& bin_dirs, const std::string& type) {
    return network::cni::FindWindowsPluginBinary(bin_dirs, type, network::cni::IsPluginFile);
  };
  if (apis.hcn != nullptr) {
    network::hns::HcnPodNetworkOptions net;
    net.bin_dirs = config.cni.bin_dirs;
    net.conf_dir = config.cni.conf_dir;
    net.cache_dir = config.state + "/cni";
    net.find_plugin = std::move(find_plugin);
    p.network = std::make_unique<network::hns::HcnPodNetwork>(apis.hcn, std::move(net), network::cni::NewPluginExec());
  } else {
    p.network = std::make_unique<network::cni::CniNetwork>(config.cni.bin_dirs, config.cni.conf_dir,
                                                           std::move(find_plugin));
  }
  p.node_hostname = apis.host_name;
  p.image_platform = apis.image_platform;

  rw::WindowsHandlerParts parts;
  // Image layers, containers' scratch layers and the pause's: the WCIFS calls.
  const wcifs::LayerApi* layer_api = apis.layers;
  std::shared_ptr<PauseRootfs> pause;
  // Hyper-V isolated pods: the utility VM's boot files, the hosted containers' layers.
  std::shared_ptr<UtilityVmFiles> uvm_files;
  std::shared_ptr<HostedRootfsSource> hosted;
  if (layer_api != nullptr) {
    pause = std::make_shared<PauseRootfs>(layer_api, apis.hcs_path);
    uvm_files = std::make_shared<UtilityVmFiles>(config.root + "/uvm", apis.hcs_path);
    hosted = std::make_shared<HostedRootfsSource>(layer_api, apis.hcs_path);
    const std::string root = config.root;
    p.make_layer_store = [layer_api, root, pause, uvm_files,
                          hosted](image::ImageManager& images) -> std::unique_ptr<image::LayerStore> {
      wcifs::WcifsLayerStoreOptions store;
      const image::ImageManager* snapshots = &images;
      store.layer_dir = [snapshots](const std::string& chain_id) { return snapshots->SnapshotDir(chain_id); };
      store.root = root + "/wcifs";
      std::unique_ptr<wcifs::WcifsLayerStore> made = wcifs::MakeWcifsLayerStore(std::move(store), layer_api);
      pause->Attach(&images, made.get());
      uvm_files->Attach(&images);
      hosted->Attach(made.get());
      return made;
    };
    wcifs::WcifsLayerUnpackerOptions unpack;
    unpack.staging_root = config.root + "/wcifs-staging";  // outside the image layers' folder
    p.layer_unpacker = std::make_shared<wcifs::WcifsLayerUnpacker>(layer_api, std::move(unpack));
  } else {
    p.layers_unavailable = apis.layers_unavailable.ok()
                               ? absl::FailedPreconditionError("the WCIFS layer API is not loaded")
                               : apis.layers_unavailable;
  }

  // The API tables; a host without the Containers feature lacks the DLLs.
  parts.hcs = apis.hcs;
  parts.hcn = apis.hcn;
  parts.jobs = apis.jobs;
  if (!apis.missing.empty()) {
    parts.unavailable = absl::FailedPreconditionError(
        absl::StrCat("Windows containers cannot run on this host: ", absl::StrJoin(apis.missing, "; ")));
  }
  // The host probe (Containers feature DLLs, vmcompute and hns running),
  // then the layer store, at every Status call.
  std::function<absl::Status()> host_ready = rw::readiness::ReadinessCheck(*apis.readiness);
  const absl::Status layers = p.layers_unavailable;
  parts.ready = [host_ready, layers]() -> absl::Status {
    if (absl::Status s = host_ready(); !s.ok()) return s;
    return layers;
  };
  const network::hns::HcnApi* hcn = apis.hcn;
  auto read_job = apis.read_job;
  parts.make_stats = [hcn, read_job] {
    rw::WindowsStatsSourceOptions stats;
    stats.read_job = read_job;
    stats.hcn = hcn;
    return std::make_unique<rw::WindowsStatsSource>(std::move(stats));
  };
  // Exec and attach of process-isolated containers go through their shims;
  // port-forward dials the pod IP from the host, as containerd does.
  parts.make_streaming = [] { return rw::UnbuiltWindowsStreaming(); };
  parts.port_forward = streaming::ForwardTcp;
  parts.sandbox.state_dir = config.state + "/sandboxes";
  parts.sandbox.sandbox_image = config.sandbox.image;
  parts.sandbox.holder = config.sandbox.holder == "none" ? rw::PodHolder::kNone : rw::PodHolder::kPause;
  if (pause != nullptr) {
    parts.sandbox.prepare_pause = [pause](const std::string& sandbox_id, const std::string& image) {
      return pause->Prepare(sandbox_id, image);
    };
    parts.sandbox.release_pause = [pause](const std::string& sandbox_id) { return pause->Release(sandbox_id); };
  } else {
    const absl::Status why = p.layers_unavailable;
    parts.sandbox.prepare_pause = [why](const std::string&, const std::string&) -> absl::StatusOr<rw::PauseImage> {
      return why;
    };
    parts.sandbox.release_pause = [](const std::string&) { return absl::OkStatus(); };  // none was prepared
  }
  parts.containers.state_dir = config.state + "/containers";
  parts.containers.host_paths = apis.host_paths;
  // The scratch layer is the layer store's (ContainerManager prepares and
  // releases it); the host only names it and the parents in the document.
  if (layer_api != nullptr) {
    auto calls = std::make_shared<wcifs::LayerCalls>(layer_api);
    parts.containers.prepare_rootfs = [calls, hcs_path = apis.hcs_path](const runtime::container::CreateSpec& spec) {
      return WindowsRootfsOf(*calls, spec.rootfs, spec.layer_dirs, hcs_path);
    };
  } else {
    const absl::Status why = p.layers_unavailable;
    parts.containers.prepare_rootfs = [why](const runtime::container::CreateSpec&)
        -> absl::StatusOr<rw::WindowsRootfs> { return why; };
  }
  parts.containers.release_rootfs = [](const std::string&) { return absl::OkStatus(); };  // the layer store's
  // One silo-shim.exe per container, HCS or HostProcess alike.
  parts.hostprocess.shims = apis.shims;
  parts.hostprocess.state_dir = config.state + "/containers";
  parts.containers.shims = std::move(apis.shims);
  // HostProcess containers: processes in named Job Objects on the host,
  // bound into a silo where the bind filter exists (WS2022 and later).
  WireHypervisorParts(config, apis, uvm_files, hosted, p.layers_unavailable, parts.hypervisor);
  parts.processes = apis.processes;
  parts.hostprocess.bind_filter_available = apis.bind_filter_available;
  parts.hostprocess.host_cpus = std::max(1, apis.host_cpus);
  p.register_handler_types = [parts](runtime::handler::HandlerRegistry& registry) {
    rw::RegisterWindowsHandlerTypes(registry, parts);
  };
  return p;
}

}  // namespace silo::cri
