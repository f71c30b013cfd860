#pragma once
// ImageRecord: one pulled image as the image manager knows it, and its
// persistence in the metadata database.
//
// The `images` table row (runtime::store::ImageEntry) holds what the CRI
// reports; the layer bookkeeping the manager needs for garbage collection
// (blob digests, diff ids, chain ids) lives beside it in the kv table under
// LayersKvKey(id), written in the same transaction.
//
// Chain IDs follow the OCI image spec: chain(L0) = diff(L0) and
// chain(Ln) = sha256(chain(Ln-1) + " " + diff(Ln)), so a layer's snapshot is
// shared by every image with the same layer stack below it.
//
// Plain values and pure functions; thread-safe.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "image/image_config.h"
#include "runtime/store/metadata_db.h"

namespace silo::image {

struct ImageRecord {
  std::string id;  // config digest, "sha256:<hex>"
  std::vector<std::string> repo_tags;     // "docker.io/library/busybox:latest"
  std::vector<std::string> repo_digests;  // "docker.io/library/busybox@sha256:..."
  int64_t size = 0;                       // config + compressed layers, bytes
  bool pinned = false;
  std::string user;                       // config.User as written ("1000:1000", "nobody")
  std::map<std::string, std::string> annotations;  // config.Labels
  int64_t created_ns = 0;                 // when first recorded here
  std::string manifest_digest;            // the selected image manifest
  std::vector<std::string> layer_digests;  // compressed layer blobs, bottom first
  std::vector<std::string> diff_ids;       // from the config, bottom first
  std::vector<std::string> chain_ids;      // snapshot keys, bottom first
  // The process config containers start from, parsed at pull time.
  ImageConfig config;
  bool config_loaded = false;  // false only while loading a record stored without it

  // Every content-store blob the image needs (config + layers).
  std::vector<std::string> Blobs() const;

  friend bool operator==(const ImageRecord&, const ImageRecord&) = default;
};

// Chain IDs for `diff_ids` ("sha256:<hex>" each), bottom layer first.
std::vector<std::string> ChainIds(const std::vector<std::string>& diff_ids);

// kv key for an image's layer bookkeeping.
std::string LayersKvKey(const std::string& image_id);
inline constexpr char kLayersKvPrefix[] = "image-layers/";

runtime::store::ImageEntry ToEntry(const ImageRecord& record);
// JSON value stored under LayersKvKey.
std::string LayersJson(const ImageRecord& record);
// Rebuilds a record from its row and kv value; InvalidArgument when the JSON
// is malformed.
absl::StatusOr<ImageRecord> FromStored(const runtime::store::ImageEntry& entry, const std::string& layers_json);

}  // namespace silo::image
