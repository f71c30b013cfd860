#include "cri/daemon/windows/hosted_rootfs.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "image/layers/wcifs/mounts.h"
#include "runtime/base/status_macros.h"

namespace silo::cri {

namespace hv = runtime::windows::hypervisor;

HostedRootfsSource::HostedRootfsSource(const image::layers::wcifs::LayerApi* api, HcsPathOf hcs_path)
    : calls_(api), hcs_path_(std::move(hcs_path)) {}

void HostedRootfsSource::Attach(image::layers::wcifs::WcifsLayerStore* store) { store_.store(store); }

absl::StatusOr<hv::HostedRootfs> HostedRootfsSource::Prepare(const runtime::container::CreateSpec& spec) {
  image::layers::wcifs::WcifsLayerStore* store = store_.load();
  if (store == nullptr) return absl::FailedPreconditionError("the layer store is not open yet");
  SILO_ASSIGN_OR_RETURN(runtime::windows::WindowsRootfs rootfs,
                        WindowsRootfsOf(calls_, spec.rootfs, spec.layer_dirs, hcs_path_));
  SILO_RETURN_IF_ERROR(
      Annotate(store->Release(spec.id), absl::StrCat("container ", spec.id, ": unmounting its scratch from the host")));
  hv::HostedRootfs hosted;
  for (runtime::windows::LayerRef& layer : rootfs.parent_layers) {
    hosted.layers.push_back({std::move(layer.id), std::move(layer.path)});
  }
  const std::string vhd = absl::StrCat(store->ScratchDir(spec.id), "/", image::layers::wcifs::kScratchVhd);
  hosted.scratch_vhd_path = hcs_path_ ? hcs_path_(vhd) : image::layers::wcifs::WindowsPath(vhd);
  return hosted;
}

}  // namespace silo::cri
