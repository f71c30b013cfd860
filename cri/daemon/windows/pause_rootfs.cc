#include "cri/daemon/windows/pause_rootfs.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/base/status_macros.h"
#include "runtime/windows/hresult.h"

namespace silo::cri {

namespace rw = runtime::windows;

absl::StatusOr<rw::WindowsRootfs> WindowsRootfsOf(const image::layers::wcifs::LayerCalls& calls,
                                                  const std::string& scratch_volume,
                                                  const std::vector<std::string>& layer_dirs,
                                                  const HcsPathOf& hcs_path) {
  if (scratch_volume.empty()) return absl::FailedPreconditionError("no prepared scratch layer");
  rw::WindowsRootfs rootfs;
  rootfs.scratch_volume_path = scratch_volume;
  for (auto dir = layer_dirs.rbegin(); dir != layer_dirs.rend(); ++dir) {
    win32::Result<std::string> id = calls.LayerId(*dir);
    if (!id.ok()) return rw::HrStatusToStatus(id.status(), "layer id of", *dir);
    // HCS takes Windows paths; the layer folders are built with `/`.
    rootfs.parent_layers.push_back(
        rw::LayerRef{*id, hcs_path ? hcs_path(*dir) : image::layers::wcifs::WindowsPath(*dir)});
  }
  return rootfs;
}

absl::StatusOr<image::ImageRecord> SandboxImageRecord(image::ImageManager& images, const std::string& image) {
  SILO_ASSIGN_OR_RETURN(std::optional<image::ImageRecord> record, images.Status(image));
  if (record) return *std::move(record);
  absl::StatusOr<std::string> pulled = images.Pull(image);
  if (!pulled.ok()) return Annotate(pulled.status(), absl::StrCat("pull the sandbox image ", image));
  SILO_ASSIGN_OR_RETURN(record, images.Status(*pulled));
  if (!record) return absl::FailedPreconditionError(absl::StrCat("the sandbox image ", image, " went away"));
  return *std::move(record);
}

PauseRootfs::PauseRootfs(const image::layers::wcifs::LayerApi* api, HcsPathOf hcs_path)
    : calls_(api), hcs_path_(std::move(hcs_path)) {}

void PauseRootfs::Attach(image::ImageManager* images, image::LayerStore* layers) {
  images_.store(images);
  layers_.store(layers);
}

absl::StatusOr<rw::PauseImage> PauseRootfs::Prepare(const std::string& sandbox_id, const std::string& image) {
  image::ImageManager* images = images_.load();
  image::LayerStore* layers = layers_.load();
  if (images == nullptr || layers == nullptr) {
    return absl::FailedPreconditionError("the image store is not open yet");
  }
  SILO_ASSIGN_OR_RETURN(const image::ImageRecord record, SandboxImageRecord(*images, image));
  const image::ImageConfig& config = record.config;
  rw::PauseImage pause;
  pause.args = config.entrypoint;
  pause.args.insert(pause.args.end(), config.cmd.begin(), config.cmd.end());
  if (pause.args.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the sandbox image ", image, " has neither an entrypoint nor a command"));
  }
  pause.args_escaped = config.args_escaped;
  for (const std::string& kv : config.env) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos) {
      pause.env.emplace_back(kv, "");
    } else {
      pause.env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
  }
  pause.working_directory = config.working_dir;
  pause.user = config.user;

  const std::string key = LayerKey(sandbox_id);
  absl::StatusOr<image::PreparedRootfs> prepared = layers->Prepare(key, record.chain_ids);
  if (!prepared.ok()) return Annotate(prepared.status(), absl::StrCat("scratch layer of the sandbox image ", image));
  absl::StatusOr<rw::WindowsRootfs> rootfs = WindowsRootfsOf(calls_, prepared->path, prepared->layer_dirs, hcs_path_);
  if (!rootfs.ok()) {
    (void)layers->Remove(key);  // the layer-id failure is the error to report
    return rootfs.status();
  }
  pause.rootfs = std::move(*rootfs);
  return pause;
}

absl::Status PauseRootfs::Release(const std::string& sandbox_id) {
  image::LayerStore* layers = layers_.load();
  if (layers == nullptr) return absl::FailedPreconditionError("the layer store is not open yet");
  return layers->Remove(LayerKey(sandbox_id));
}

}  // namespace silo::cri
