#pragma once
// LayerUnpacker: how the image store turns a pulled image's layer blobs into
// layer folders, when the platform does it differently from Linux.
//
// Without one (the default), ImageManager unpacks each layer into an overlay
// snapshot itself (unpack.h), layers independently and in any order. A
// Windows node gives it the WCIFS importer (wcifs/wcifs_layer_unpacker.h):
// a Windows layer can only be imported over its complete parents, so it
// needs the image's whole chain in one call; it stages layers in parallel
// and imports them serially, base first, sharing layers with concurrent
// pulls. Either way a layer's folder is ImageManager::SnapshotDir(chain id),
// so the store's usage, garbage collection and the LayerStore all find it.
//
// Implementations are thread-safe.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "image/layers/decompress.h"

namespace silo::image::layers {

struct LayerBlob {
  std::string chain_id;
  std::string dir;         // where the layer goes
  std::string media_type;  // from the manifest
  std::string diff_id;     // expected "sha256:<hex>" of the uncompressed tar
  // A new reader of the (verified, stored) blob from its first byte; may be
  // called more than once.
  std::function<absl::StatusOr<std::unique_ptr<ByteSource>>()> open;
};

class LayerUnpacker {
 public:
  virtual ~LayerUnpacker() = default;
  // Whether `dir` holds a completely unpacked layer.
  virtual bool IsUnpacked(const std::string& dir) const = 0;
  // Unpacks every layer of `chain` (base first) that is not unpacked yet.
  // DataLoss when a layer's content does not match its diff_id.
  virtual absl::Status UnpackChain(const std::vector<LayerBlob>& chain) = 0;
  // At start-up, before any unpack: removes what an interrupted one left
  // under `root` (the folder all layer folders live in).
  virtual absl::Status RemoveIncomplete(const std::string& root) = 0;
  // Deletes a layer folder no image uses any more.
  virtual absl::Status RemoveLayer(const std::string& dir) = 0;
};

}  // namespace silo::image::layers
