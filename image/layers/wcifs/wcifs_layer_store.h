#pragma once
// WcifsLayerStore: the Windows LayerStore. A container's rootfs is a WCIFS
// scratch (writable) layer over the image's read-only layer chain, mounted
// as a volume for the HCS document's Storage.Path:
//
//   <root>/scratch/<id>/        the scratch layer: sandbox.vhdx,
//                               layerchain.json (persistent)
//   <root>/mounts/<id>.json     the mount record {scratch, parents}, written
//                               before the layer is activated
//
// The read-only layers are the folders the image store imported
// (`layer_dir(chain_id)`, each complete with importer.h's marker); parents
// are passed nearest first, base last, as every layer API wants them.
//
// Calls (hcsshim: internal/layers/helpers.go ensureScratchVHD,
// internal/wclayer/createscratchlayer.go, internal/layers/wcow_mount.go
// mountProcessIsolatedWCIFSLayers and wcowHostWCIFSLayerCloser.Release):
//   Prepare  mkdir scratch -> CreateSandboxLayer(scratch, parents)
//            [-> ExpandSandboxSize] -> layerchain.json -> record ->
//            ActivateLayer -> PrepareLayer (retried together on the RS5
//            transient errors) -> GetLayerMountPath. Any failure undoes what
//            was done, in reverse (DeactivateLayer after a failed Prepare,
//            Unprepare + Deactivate after a failed GetLayerMountPath,
//            DestroyLayer of the scratch, the record dropped), so nothing
//            stays activated, prepared or on disk. Where that undo itself
//            fails (UnprepareLayer refused), the "mounted": false record
//            stays: a retry of Prepare for the id first finishes the undo
//            and removes the leftover scratch, and Release finishes it too.
//   Release  UnprepareLayer -> DeactivateLayer -> record dropped. The scratch
//            stays (a stopped container keeps its writable layer).
//            Idempotent; a failed release keeps the record for a retry.
//   Remove   Release, then DestroyLayer(scratch) (HcsDestroyLayer when the
//            host has it). Idempotent.
// The vmcompute calls, not computestorage's HcsAttachLayerStorageFilter: in
// hcsshim the attach-filter route serves CimFS layers only, and WCIFS
// layers of process-isolated containers still go through Activate +
// Prepare on every supported host (WS2019 included).
//
// Recovery: all state is under `root`, so a store built after a silod
// restart releases and removes what an earlier run prepared (by id), and
// Recover() releases every recorded mount whose container is gone.
//
// Thread-safe for different container ids (LayerStore's contract).

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "image/layers/dir_usage.h"
#include "image/layers/layer_store.h"
#include "image/layers/wcifs/api.h"
#include "image/layers/wcifs/layer_calls.h"
#include "image/layers/wcifs/mounts.h"

namespace silo::image::layers::wcifs {

struct WcifsLayerStoreOptions {
  // The imported layer folder of a chain id (ImageManager::SnapshotDir).
  std::function<std::string(const std::string& chain_id)> layer_dir;
  // The store's own folder (scratch layers and mount records).
  std::string root;
  // Grows each new sandbox.vhdx to this size; 0 keeps the template's.
  uint64_t scratch_size_bytes = 0;
  RetryPolicy retry;
};

class WcifsLayerStore final : public LayerStore {
 public:
  WcifsLayerStore(WcifsLayerStoreOptions options, const LayerApi* api);

  // PreparedRootfs.path is the volume "\\?\Volume{...}\"; layer_dirs are the
  // image's layer folders, bottom (base) first. FailedPrecondition when a
  // layer of the chain is not (completely) imported.
  absl::StatusOr<PreparedRootfs> Prepare(const std::string& container_id,
                                         const std::vector<std::string>& chain_ids) override;
  absl::Status Release(const std::string& container_id) override;
  absl::Status Remove(const std::string& container_id) override;

  // Releases the recorded mounts of containers not in `live`; returns their ids.
  absl::StatusOr<std::vector<std::string>> Recover(const std::set<std::string>& live);

  // Bytes and inodes of the container's scratch folder (what kubelet's
  // eviction reads as the writable layer); NotFound without one.
  absl::StatusOr<DirUsage> WritableLayerUsage(const std::string& container_id) const;

  std::string ScratchDir(const std::string& container_id) const;

 private:
  // Destroys the scratch folder when it exists.
  absl::Status DestroyScratch(const std::string& scratch);

  const WcifsLayerStoreOptions options_;
  LayerCalls calls_;
  Mounts mounts_;
};

// The factory wiring uses: `api` (LoadLayerApi() on Windows, a
// FakeLayerApi's table in tests) must outlive the store.
std::unique_ptr<WcifsLayerStore> MakeWcifsLayerStore(WcifsLayerStoreOptions options, const LayerApi* api);

}  // namespace silo::image::layers::wcifs
