#pragma once
// ServedImages: a LocalRegistry with an OCI layout beside it, so a test suite
// builds an image and serves it as <host>/<repo>:<tag> in one call. Made once
// per suite (SetUpTestSuite); the destructor stops the registry and removes
// the layout. Test-only, not thread-safe.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "image/registry/testing/local_registry.h"
#include "image/registry/testing/oci_layout.h"

namespace silo::image::registry::testing {

class ServedImages {
 public:
  static absl::StatusOr<std::unique_ptr<ServedImages>> Start(LocalRegistryOptions options = {});
  ~ServedImages();
  ServedImages(const ServedImages&) = delete;
  ServedImages& operator=(const ServedImages&) = delete;

  // Builds `image` into the layout, tags it `tag` there and pushes it as
  // <repo>:<tag>.
  absl::StatusOr<BuiltImage> Serve(const TestImage& image, const std::string& repo, const std::string& tag);
  // Pushes what the layout's `tag` names (e.g. an index made with layout()),
  // with every platform's image when `all`.
  absl::Status Push(const std::string& tag, const std::string& repo, bool all = false);

  std::string host() const { return registry_->host(); }
  // "<host>/<repo>:<tag>", the reference a CRI client pulls.
  std::string Ref(const std::string& repo, const std::string& tag) const;
  LocalRegistry& registry() { return *registry_; }
  OciLayout& layout() { return *layout_; }

 private:
  ServedImages() = default;
  std::unique_ptr<LocalRegistry> registry_;
  std::unique_ptr<OciLayout> layout_;
};

}  // namespace silo::image::registry::testing
