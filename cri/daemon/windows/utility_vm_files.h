#pragma once
// UtilityVmFiles: what a Hyper-V isolated pod's utility VM boots from, made
// from the sandbox image (config sandbox.image) as hcsshim makes it
// (internal/layers/wcow_parse.go getVmbFSBootFiles, internal/uvmfolder):
//   boot   <layer>\UtilityVM of the uppermost layer of the image that has
//          one (in practice the base: the importer refuses UtilityVM content
//          in diff layers), processed by the importer (ProcessUtilityImage)
//   disk   <root>\<sandbox id>\sandbox.vhdx, a copy of that folder's
//          SystemTemplate.vhdx, made once (a retry reuses it); the VM is
//          granted access to it when it is created (UvmPod) and the grant is
//          revoked when it is stopped
// Release deletes the pod's folder. The image is pulled when absent.
//
// The image manager is built after the handlers (see WireCore), so it is
// attached once it exists; Prepare fails with FailedPrecondition before
// that. Thread-safe for different sandboxes.

#include <atomic>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "image/image_manager.h"
#include "runtime/windows/hypervisor/hypervisor_sandbox_host.h"

namespace silo::cri {

class UtilityVmFiles {
 public:
  // `root` holds one folder per pod; `hcs_path` names a local path for HCS
  // (null = image::layers::wcifs::WindowsPath).
  UtilityVmFiles(std::string root, std::function<std::string(const std::string&)> hcs_path);

  // Must outlive every later call.
  void Attach(image::ImageManager* images);

  // FailedPrecondition naming the image when no layer of it has a complete
  // UtilityVM folder (Files and SystemTemplate.vhdx, real, not links).
  absl::StatusOr<runtime::windows::hypervisor::UvmBootFiles> Prepare(const std::string& sandbox_id,
                                                                    const std::string& image);
  // Deletes the pod's folder; OK when there is none.
  absl::Status Release(const std::string& sandbox_id);

  std::string PodDir(const std::string& sandbox_id) const;

 private:
  const std::string root_;
  const std::function<std::string(const std::string&)> hcs_path_;
  std::atomic<image::ImageManager*> images_{nullptr};
};

}  // namespace silo::cri
