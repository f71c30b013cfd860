#pragma once
// LayerStore: the port through which container creation gets a root
// filesystem from an image's layers, whatever the platform does to make one.
// Linux: an overlay mount of the unpacked snapshots under a writable upper
// dir (image/layers/overlay). Windows: a WCIFS scratch layer over the layer
// chain (image/layers/wcifs). ContainerManager calls only this.
//
// Per container id: Prepare makes the writable layer and mounts the rootfs,
// Release unmounts it (the writable layer stays, as a stopped container's
// does), Remove releases and deletes the writable layer. Release and Remove
// are idempotent (an unknown id is OK), so undo paths and recovery may call
// them freely. Implementations are thread-safe for different ids.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace silo::image {

struct PreparedRootfs {
  std::string path;                     // the mounted root filesystem, absolute
  std::vector<std::string> layer_dirs;  // the image's read-only layers, bottom first
};

class LayerStore {
 public:
  virtual ~LayerStore() = default;

  // `chain_ids`: the image's layers, bottom first (ImageRecord::chain_ids).
  // AlreadyExists if `container_id` has a writable layer already.
  virtual absl::StatusOr<PreparedRootfs> Prepare(const std::string& container_id,
                                                 const std::vector<std::string>& chain_ids) = 0;
  virtual absl::Status Release(const std::string& container_id) = 0;
  virtual absl::Status Remove(const std::string& container_id) = 0;
};

}  // namespace silo::image
