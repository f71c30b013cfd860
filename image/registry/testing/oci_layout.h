#pragma once
// OciLayout: writes an OCI image layout directory (oci-layout, index.json,
// blobs/sha256/...) from test-described images, ready for
// `skopeo copy oci:DIR:TAG docker://...`. Layers are real gzip-compressed tar
// archives made with libarchive; configs carry rootfs.diff_ids. Test-only,
// not thread-safe.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "image/registry/manifest.h"
#include "image/registry/platform.h"

namespace silo::image::registry::testing {

struct TestFile {
  std::string path;  // ending in '/': a directory (content ignored)
  std::string content;
};

struct TestImage {
  Platform platform{"linux", "amd64", "", "", {}};
  std::vector<std::vector<TestFile>> layers;  // each layer's files
  // When non-empty: one more layer holding these bytes verbatim (media type
  // ...layer.v1.tar), for large-blob tests where a real tar does not matter.
  std::string raw_layer;
  std::vector<std::string> cmd{"/bin/sh"};  // the config's Cmd
};

struct BuiltImage {
  Descriptor manifest;  // digest, size, media type, platform
  Descriptor config;
  std::vector<Descriptor> layers;
};

class OciLayout {
 public:
  explicit OciLayout(std::string dir) : dir_(std::move(dir)) {}

  absl::StatusOr<BuiltImage> AddImage(const TestImage& image);
  // Writes an OCI index over `manifests` (each with its platform).
  absl::StatusOr<Descriptor> AddIndex(const std::vector<Descriptor>& manifests);
  // Writes a blob and returns its descriptor (digest and size filled).
  absl::StatusOr<Descriptor> AddBlob(std::string media_type, const std::string& data);
  // Names `desc` as `tag` in index.json (rewritten with every tag so far).
  absl::Status Tag(const Descriptor& desc, const std::string& tag);

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::vector<std::pair<std::string, Descriptor>> tags_;
};

// A gzip-compressed (or plain) tar holding `files`, via libarchive.
absl::StatusOr<std::string> MakeTar(const std::vector<TestFile>& files, bool gzip);

}  // namespace silo::image::registry::testing
