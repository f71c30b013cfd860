#pragma once
// Mounts: per-container scratch layers and their WCIFS mounts, with a
// symmetric release and crash recovery (hcsshim internal/layers/wcow_mount.go,
// containerd's windows snapshotter).
//
//   CreateScratch  <scratch>/sandbox.vhdx = copy of <base>/blank.vhdx, then
//                  ExpandSandboxSize when a size is asked for (containerd's
//                  route); layerchain.json written. The base is parents.back().
//   Mount          records <state_dir>/<container_id>.json {scratch, parents}
//                  BEFORE any side effect, then Activate + Prepare (retried,
//                  see layer_calls.h) and returns the volume path
//                  "\\?\Volume{...}\" for the HCS document's Storage.Path.
//                  The record says "mounted": false until the mount is
//                  complete; a release of such a record (the daemon died
//                  mid-mount, or a failed mount could not undo itself)
//                  undoes Prepare and Activate and drops the record only
//                  once the layer is neither. A failed mount whose undo
//                  failed keeps its record, so a retry of the mount, a
//                  Release or Recover finishes the undo instead of the id
//                  being blocked by a layer left activated.
//   Release        Unprepare + Deactivate, then drops the record. Idempotent:
//                  no record, nothing to do. A failed release keeps the
//                  record so Recover retries it.
//   Recover        releases every recorded mount whose container is not in
//                  the live set (the daemon died between mount and release).
//   RemoveLayers   DestroyLayer (HcsDestroyLayer when present) for each
//                  candidate the content store no longer references.
//
// Thread-safe: one mutex over the record directory; OS calls for different
// containers may run concurrently (PrepareLayer is serialised in LayerCalls).

#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "image/layers/wcifs/layer_calls.h"

namespace silo::image::layers::wcifs {

inline constexpr char kScratchVhd[] = "sandbox.vhdx";
inline constexpr char kBlankVhd[] = "blank.vhdx";

class Mounts {
 public:
  Mounts(LayerCalls calls, std::string state_dir) : calls_(std::move(calls)), state_dir_(std::move(state_dir)) {}

  // size_bytes 0 keeps the template's size.
  absl::Status CreateScratch(const std::string& scratch_path, const std::vector<std::string>& parents,
                             uint64_t size_bytes);
  absl::StatusOr<std::string> Mount(const std::string& container_id, const std::string& scratch_path,
                                    const std::vector<std::string>& parents);
  absl::Status Release(const std::string& container_id);
  // Undoes and drops the record of a mount that never completed (see
  // Mount); true when there was one. AlreadyExists when the id has a
  // completed mount, the undo's error when the layer is still in use.
  absl::StatusOr<bool> UndoLeftover(const std::string& container_id);
  // Returns the ids whose mounts were released.
  absl::StatusOr<std::vector<std::string>> Recover(const std::set<std::string>& live_container_ids);
  // Destroys the candidates for which `referenced` is false; returns them.
  absl::StatusOr<std::vector<std::string>> RemoveLayers(const std::vector<std::string>& candidates,
                                                        const std::function<bool(const std::string&)>& referenced);

 private:
  std::string RecordPath(const std::string& container_id) const;
  // Release with mu_ held.
  absl::Status ReleaseLocked(const std::string& container_id);

  LayerCalls calls_;
  std::string state_dir_;
  std::mutex mu_;  // serialises record reads/writes per operation
};

}  // namespace silo::image::layers::wcifs
