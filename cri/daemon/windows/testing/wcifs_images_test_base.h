#pragma once
// A test base for silod's Windows rootfs pieces: a real registry (Debian's
// docker-registry on 127.0.0.1, through ServedImages) holding Windows test images, an image
// manager importing them through the WCIFS importer and a WCIFS layer store,
// both over the fake layer API. Test-only.

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "image/image_manager.h"
#include "image/layers/wcifs/fake_layer_api.h"
#include "image/layers/wcifs/wcifs_layer_store.h"
#include "image/layers/wcifs/wcifs_layer_unpacker.h"
#include "image/registry/testing/served_images.h"
#include "image/registry/testing/windows_layers.h"
#include "runtime/store/metadata_db.h"

namespace silo::cri::testing {

inline constexpr char kTestHostBuild[] = "10.0.20348.2227";

inline std::string MakeTempDir(const char* prefix) {
  std::string tmpl = absl::StrCat("/tmp/", prefix, "-XXXXXX");
  EXPECT_NE(mkdtemp(tmpl.data()), nullptr);
  return tmpl;
}

class WcifsImagesTestBase : public ::testing::Test {
 protected:
  // Starts the registry and serves `images` (each under its tag) as
  // repository `repo`; a suite's SetUpTestSuite calls it once.
  static void Serve(const std::vector<std::pair<image::registry::testing::TestImage, std::string>>& images,
                    const std::string& repo) {
    auto served = image::registry::testing::ServedImages::Start();
    ASSERT_TRUE(served.ok()) << served.status();
    served_ = served->release();
    repo_ = new std::string(repo);
    for (const auto& [image, tag] : images) ASSERT_TRUE(served_->Serve(image, repo, tag).ok()) << tag;
  }
  static void TearDownTestSuite() {
    delete served_;
    served_ = nullptr;
    delete repo_;
    repo_ = nullptr;
  }
  static std::string Ref(const std::string& tag) { return served_->Ref(*repo_, tag); }

  void SetUp() override {
    root_ = MakeTempDir("silo-wcifs-root");
    auto db = runtime::store::MetadataDb::Open(absl::StrCat(root_, "/db"));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    image::ImageManagerOptions o;
    o.root = absl::StrCat(root_, "/images");
    o.registry.insecure_hosts = {served_->host()};
    o.registry.max_attempts = 1;
    o.platform = image::registry::testing::WindowsPlatform(kTestHostBuild);
    image::layers::wcifs::WcifsLayerUnpackerOptions unpack;
    unpack.staging_root = absl::StrCat(root_, "/staging");
    o.layer_unpacker = std::make_shared<image::layers::wcifs::WcifsLayerUnpacker>(fake_.api(), unpack);
    auto images = image::ImageManager::Open(o, db_.get());
    ASSERT_TRUE(images.ok()) << images.status();
    images_ = std::move(*images);
    image::layers::wcifs::WcifsLayerStoreOptions store;
    store.layer_dir = [this](const std::string& chain) { return images_->SnapshotDir(chain); };
    store.root = absl::StrCat(root_, "/wcifs");
    store_ = image::layers::wcifs::MakeWcifsLayerStore(std::move(store), fake_.api());
  }
  void TearDown() override {
    store_.reset();
    images_.reset();
    db_.reset();
    std::filesystem::remove_all(root_);
  }

  static inline image::registry::testing::ServedImages* served_ = nullptr;
  static inline std::string* repo_ = nullptr;
  std::string root_;
  image::layers::wcifs::FakeLayerApi fake_;
  std::unique_ptr<runtime::store::MetadataDb> db_;
  std::unique_ptr<image::ImageManager> images_;
  std::unique_ptr<image::layers::wcifs::WcifsLayerStore> store_;
};

}  // namespace silo::cri::testing
