#pragma once
// HostedRootfsSource: a Hyper-V isolated container's layers as the
// hypervisor container host wants them (HostedRootfs), from what the WCIFS
// layer store prepared for it. The store made the scratch layer
// (sandbox.vhdx over the image's chain) and mounted it on the host, as for
// every container; a hosted container's scratch is attached to the utility
// VM instead (as hcsshim's mountHypervIsolatedWCIFSLayers does), so the host
// mount is released first: a VHDX attached to the host cannot be attached
// to the VM. The scratch itself stays the layer store's (RemoveContainer
// destroys it).
//
// The layer store is built after the handlers (see WireCore), so it is
// attached once it exists; Prepare fails with FailedPrecondition before
// that. Thread-safe for different containers.

#include <atomic>

#include "absl/status/statusor.h"
#include "cri/daemon/windows/pause_rootfs.h"
#include "image/layers/wcifs/wcifs_layer_store.h"
#include "runtime/container/container_host.h"
#include "runtime/windows/hypervisor/hypervisor_container_host.h"

namespace silo::cri {

class HostedRootfsSource {
 public:
  // `api` must outlive this object.
  HostedRootfsSource(const image::layers::wcifs::LayerApi* api, HcsPathOf hcs_path);

  // Must outlive every later call.
  void Attach(image::layers::wcifs::WcifsLayerStore* store);

  // The read-only layers (nearest parent first, each with its NameToGuid id)
  // and the scratch VHDX, no longer mounted on the host.
  absl::StatusOr<runtime::windows::hypervisor::HostedRootfs> Prepare(const runtime::container::CreateSpec& spec);

 private:
  image::layers::wcifs::LayerCalls calls_;
  const HcsPathOf hcs_path_;
  std::atomic<image::layers::wcifs::WcifsLayerStore*> store_{nullptr};
};

}  // namespace silo::cri
