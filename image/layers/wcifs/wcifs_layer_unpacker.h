#pragma once
// WcifsLayerUnpacker: the image store's LayerUnpacker on Windows. Each layer
// blob is read twice: once to plan it (windows_layer.h: names, links and
// metadata checked, the diff_id verified against the image config), then
// streamed again, member by member, as the Importer asks for file bytes.
// The Importer (importer.h) does the rest: a base layer (the first of the
// chain) is written and run through ProcessBaseImage (and
// ProcessUtilityImage when it has UtilityVM/), diff layers are staged in
// parallel and imported in chain order, complete layers are skipped and a
// layer two pulls need is imported once. Layers keep the Files/ and Hives/
// layout of the image.
//
// Thread-safe.

#include <string>

#include "image/layers/layer_unpacker.h"
#include "image/layers/wcifs/api.h"
#include "image/layers/wcifs/importer.h"
#include "image/layers/windows_layer.h"

namespace silo::image::layers::wcifs {

struct WcifsLayerUnpackerOptions {
  // Where diff layers are staged; outside the layers root (RemoveIncomplete
  // treats every unmarked folder there as debris).
  std::string staging_root;
  bool use_computestorage = false;  // HcsImportLayer where the host has it
  WindowsPlanOptions limits;        // entry and size limits per layer (media_type ignored)
};

class WcifsLayerUnpacker final : public LayerUnpacker {
 public:
  // `api` must outlive the unpacker.
  WcifsLayerUnpacker(const LayerApi* api, WcifsLayerUnpackerOptions options);

  bool IsUnpacked(const std::string& dir) const override;
  absl::Status UnpackChain(const std::vector<LayerBlob>& chain) override;
  absl::Status RemoveIncomplete(const std::string& root) override;
  absl::Status RemoveLayer(const std::string& dir) override;

 private:
  const WcifsLayerUnpackerOptions options_;
  LayerCalls calls_;
  Importer importer_;
};

}  // namespace silo::image::layers::wcifs
