#pragma once
// PauseRootfs: the pause container of a process-isolated pod, made from the
// sandbox image (config sandbox.image) as containerd makes it: the image is
// resolved by the image manager and pulled when absent (as containerd pulls
// its sandbox image), and the pause gets a WCIFS scratch layer over the
// image's chain from the layer store, under the key "pause-<sandbox id>",
// exactly as CreateContainer gets a container's. Release removes that
// scratch: a stopped pause is never started again.
//
// The image manager and the layer store are built after the handlers (see
// WireCore), so they are attached once they exist; Prepare fails with
// FailedPrecondition before that. Thread-safe for different sandboxes.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "image/image_manager.h"
#include "image/layers/layer_store.h"
#include "image/layers/wcifs/layer_calls.h"
#include "runtime/windows/hcs_container_host.h"
#include "runtime/windows/sandbox/windows_sandbox_host.h"

namespace silo::cri {

// The rootfs HCS wants from a prepared one: the scratch volume, and the
// read-only parents nearest first, each with its NameToGuid id.
// `layer_dirs` comes bottom (base) first, as the layer store returns them;
// `hcs_path` names each for the HCS document (null = as it is).
using HcsPathOf = std::function<std::string(const std::string& local_path)>;
absl::StatusOr<runtime::windows::WindowsRootfs> WindowsRootfsOf(const image::layers::wcifs::LayerCalls& calls,
                                                                const std::string& scratch_volume,
                                                                const std::vector<std::string>& layer_dirs,
                                                                const HcsPathOf& hcs_path);

// The sandbox image's record, pulled first when it is absent (as containerd
// pulls its sandbox image).
absl::StatusOr<image::ImageRecord> SandboxImageRecord(image::ImageManager& images, const std::string& image);

class PauseRootfs {
 public:
  // `api` must outlive this object.
  PauseRootfs(const image::layers::wcifs::LayerApi* api, HcsPathOf hcs_path);

  // Both must outlive every later call.
  void Attach(image::ImageManager* images, image::LayerStore* layers);

  // The pause's rootfs and process (the image's entrypoint + cmd, env,
  // working dir and user). FailedPrecondition naming the image when it can
  // be neither found nor pulled, or has no command; the scratch is removed
  // again on any failure after it was made.
  absl::StatusOr<runtime::windows::PauseImage> Prepare(const std::string& sandbox_id, const std::string& image);
  // Removes the pause's scratch layer; idempotent (OK when none was made).
  absl::Status Release(const std::string& sandbox_id);

  // The layer store key of a sandbox's pause.
  static std::string LayerKey(const std::string& sandbox_id) { return "pause-" + sandbox_id; }

 private:
  image::layers::wcifs::LayerCalls calls_;
  const HcsPathOf hcs_path_;
  std::atomic<image::ImageManager*> images_{nullptr};
  std::atomic<image::LayerStore*> layers_{nullptr};
};

}  // namespace silo::cri
