#include "image/registry/testing/served_images.h"

#include <stdlib.h>

#include <filesystem>

#include "absl/strings/str_cat.h"

namespace silo::image::registry::testing {

absl::StatusOr<std::unique_ptr<ServedImages>> ServedImages::Start(LocalRegistryOptions options) {
  std::unique_ptr<ServedImages> served(new ServedImages());
  absl::StatusOr<std::unique_ptr<LocalRegistry>> registry = LocalRegistry::Start(std::move(options));
  if (!registry.ok()) return registry.status();
  served->registry_ = std::move(*registry);
  char tmpl[] = "/tmp/silo-layout-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return absl::InternalError("mkdtemp for the OCI layout");
  served->layout_ = std::make_unique<OciLayout>(tmpl);
  return served;
}

ServedImages::~ServedImages() {
  if (layout_ != nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(layout_->dir(), ec);
  }
}

absl::StatusOr<BuiltImage> ServedImages::Serve(const TestImage& image, const std::string& repo,
                                               const std::string& tag) {
  absl::StatusOr<BuiltImage> built = layout_->AddImage(image);
  if (!built.ok()) return built.status();
  if (absl::Status s = layout_->Tag(built->manifest, tag); !s.ok()) return s;
  if (absl::Status s = Push(tag, repo); !s.ok()) return s;
  return built;
}

absl::Status ServedImages::Push(const std::string& tag, const std::string& repo, bool all) {
  return registry_->Push(layout_->dir(), tag, repo, all);
}

std::string ServedImages::Ref(const std::string& repo, const std::string& tag) const {
  return absl::StrCat(registry_->host(), "/", repo, ":", tag);
}

}  // namespace silo::image::registry::testing
