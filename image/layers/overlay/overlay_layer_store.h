#pragma once
// OverlayLayerStore: the Linux LayerStore. A container's rootfs is an
// overlay mount of the image's unpacked snapshots (the lower dirs, topmost
// first as overlayfs wants) under its own writable layer:
//
//   <writable_root>/<id>/{upper,work}   the writable layer (persistent)
//   <mount_root>/<id>/rootfs            the overlay mount (volatile)
//
// These are the paths the Linux container host always used (its root dir
// and bundle dir), so containers made before the store existed are
// released and removed the same way.

#include <functional>
#include <string>
#include <vector>

#include "image/layers/layer_store.h"
#include "runtime/base/deferred_removal.h"

namespace silo::image::overlay {

struct OverlayLayerStoreOptions {
  std::function<std::string(const std::string& chain_id)> snapshot_dir;  // ImageManager::SnapshotDir
  std::string writable_root;
  std::string mount_root;
};

class OverlayLayerStore final : public LayerStore {
 public:
  // Sweeps what an earlier silod discarded and never deleted.
  explicit OverlayLayerStore(OverlayLayerStoreOptions options) : options_(std::move(options)) {
    trash_.Sweep(options_.writable_root);
  }

  absl::StatusOr<PreparedRootfs> Prepare(const std::string& container_id,
                                         const std::vector<std::string>& chain_ids) override;
  absl::Status Release(const std::string& container_id) override;
  absl::Status Remove(const std::string& container_id) override;

  std::string RootfsDir(const std::string& container_id) const;
  std::string WritableDir(const std::string& container_id) const;

 private:
  const OverlayLayerStoreOptions options_;
  // A removed writable layer leaves its name at once and is deleted off
  // RemoveContainer's path.
  DeferredRemoval trash_;
};

}  // namespace silo::image::overlay
