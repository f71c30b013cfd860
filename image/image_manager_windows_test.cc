// Pulls of Windows images on a Linux host: the platform is an input of the
// image manager, the registry is a real one (Debian's docker-registry on
// 127.0.0.1, images pushed with skopeo), and the layers go through the WCIFS
// importer into the fake layer API, then become a container's rootfs
// through the WCIFS layer store.
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "image/image_manager.h"
#include "image/layers/dir_usage.h"
#include "image/layers/wcifs/fake_layer_api.h"
#include "image/layers/wcifs/importer.h"
#include "image/layers/wcifs/wcifs_layer_store.h"
#include "image/layers/wcifs/wcifs_layer_unpacker.h"
#include "image/registry/testing/served_images.h"
#include "image/registry/testing/windows_layers.h"
#include "runtime/store/metadata_db.h"

namespace silo::image {
namespace {

namespace fs = std::filesystem;
using layers::wcifs::FakeLayerApi;
using layers::wcifs::FakeLayerCall;
using layers::wcifs::LayerCall;
using registry::Descriptor;
using registry::Platform;
using registry::testing::OciLayout;
using registry::testing::ServedImages;
using registry::testing::TestFile;
using registry::testing::TestImage;

std::string TempDir() {
  char tmpl[] = "/tmp/silo-winpull-XXXXXX";
  EXPECT_NE(mkdtemp(tmpl), nullptr);
  return tmpl;
}

Platform Windows(const std::string& os_version) { return registry::testing::WindowsPlatform(os_version); }
std::vector<TestFile> BaseLayer(const std::string& build) { return registry::testing::WindowsBaseLayer(build); }

// An application layer with a hive delta.
const std::vector<TestFile> kAppLayer = {{"Files/", ""},       {"Files/app/", ""},
                                         {"Files/app/app.exe", std::string(5000, 'x')},
                                         {"Hives/", ""},       {"Hives/Software_Delta", "delta"}};
const std::vector<TestFile> kConfigLayer = {{"Files/", ""}, {"Files/app/", ""}, {"Files/app/app.ini", "port=80\n"}};

class ImageManagerWindowsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto served = ServedImages::Start();
    ASSERT_TRUE(served.ok()) << served.status();
    served_ = served->release();
    OciLayout& layout = served_->layout();
    // One index, as Microsoft publishes multi-build images: WS2019, WS2022
    // and a Linux variant.
    std::vector<Descriptor> manifests;
    for (const auto& [platform, base] : std::vector<std::pair<Platform, std::string>>{
             {Windows("10.0.17763.5329"), "17763"}, {Windows("10.0.20348.2227"), "20348"},
             {Platform{"linux", "amd64", "", "", {}}, "linux"}}) {
      TestImage image;
      image.platform = platform;
      image.layers = {BaseLayer(base), kAppLayer, kConfigLayer};
      auto built = layout.AddImage(image);
      ASSERT_TRUE(built.ok()) << built.status();
      manifests.push_back(built->manifest);
      configs_->push_back(built->config.digest.String());
    }
    auto index = layout.AddIndex(manifests);
    ASSERT_TRUE(index.ok()) << index.status();
    ASSERT_TRUE(layout.Tag(*index, "multi").ok());
    ASSERT_TRUE(served_->Push("multi", "win", /*all=*/true).ok());
    // A second image on the WS2022 base, for layer sharing between pulls.
    TestImage other;
    other.platform = Windows("10.0.20348.2227");
    other.layers = {BaseLayer("20348"), {{"Files/", ""}, {"Files/other.txt", "other"}}};
    ASSERT_TRUE(served_->Serve(other, "win", "other").ok());
  }
  static void TearDownTestSuite() { delete served_; }

  void SetUp() override {
    root_ = TempDir();
    auto db = runtime::store::MetadataDb::Open(absl::StrCat(root_, "/db"));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
  }
  void TearDown() override {
    manager_.reset();
    db_.reset();
    fs::remove_all(root_);
  }

  void Open(const Platform& host) {
    manager_.reset();
    ImageManagerOptions o;
    o.root = absl::StrCat(root_, "/images");
    o.registry.insecure_hosts = {served_->host()};
    o.registry.backoff_base = absl::Milliseconds(1);
    o.platform = host;
    layers::wcifs::WcifsLayerUnpackerOptions unpack;
    unpack.staging_root = absl::StrCat(root_, "/staging");
    o.layer_unpacker = std::make_shared<layers::wcifs::WcifsLayerUnpacker>(fake_.api(), unpack);
    auto m = ImageManager::Open(o, db_.get());
    ASSERT_TRUE(m.ok()) << m.status();
    manager_ = std::move(*m);
  }
  std::string Ref(const std::string& tag) { return absl::StrCat(served_->host(), "/win:", tag); }

  // The fake's calls of `kind` on `path`.
  std::vector<FakeLayerCall> CallsOn(LayerCall kind, const std::string& path) {
    std::vector<FakeLayerCall> out;
    for (const FakeLayerCall& c : fake_.Calls(kind)) {
      if (c.path == path) out.push_back(c);
    }
    return out;
  }

  static ServedImages* served_;
  static std::vector<std::string>* configs_;  // image ids: 17763, 20348, linux
  std::string root_;
  std::unique_ptr<runtime::store::MetadataDb> db_;
  FakeLayerApi fake_;
  std::unique_ptr<ImageManager> manager_;
};

ServedImages* ImageManagerWindowsTest::served_ = nullptr;
std::vector<std::string>* ImageManagerWindowsTest::configs_ = new std::vector<std::string>();

TEST_F(ImageManagerWindowsTest, PullPicksTheHostBuildsManifestAndImportsTheLayersInChainOrder) {
  Open(Windows("10.0.20348.2227"));
  auto id = manager_->Pull(Ref("multi"));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, (*configs_)[1]);  // the WS2022 manifest of the index
  auto record = manager_->Status(*id);
  ASSERT_TRUE(record.ok() && record->has_value());
  const std::vector<std::string>& chain = (*record)->chain_ids;
  ASSERT_EQ(chain.size(), 3u);
  std::vector<std::string> dirs;
  for (const std::string& c : chain) dirs.push_back(manager_->SnapshotDir(c));

  // The base layer: written in place with its Files/ and Hives/ layout,
  // then processed; the diff layers imported over their parents, nearest
  // first, each only after its parent finished.
  const auto base = CallsOn(LayerCall::kProcessBaseImage, dirs[0]);
  ASSERT_EQ(base.size(), 1u);
  EXPECT_TRUE(fake_.Calls(LayerCall::kProcessUtilityImage).empty());  // no UtilityVM/ in this image
  EXPECT_TRUE(fs::exists(dirs[0] + "/Files/Windows/System32/config/SYSTEM"));
  EXPECT_TRUE(fs::exists(dirs[0] + "/Hives/System_Base"));
  const auto app = CallsOn(LayerCall::kImportLayer, dirs[1]);
  const auto conf = CallsOn(LayerCall::kImportLayer, dirs[2]);
  ASSERT_EQ(app.size(), 1u);
  ASSERT_EQ(conf.size(), 1u);
  EXPECT_EQ(app[0].parents, std::vector<std::string>{dirs[0]});
  EXPECT_EQ(conf[0].parents, (std::vector<std::string>{dirs[1], dirs[0]}));
  EXPECT_LT(base[0].end_seq, app[0].begin_seq);
  EXPECT_LT(app[0].end_seq, conf[0].begin_seq);
  EXPECT_TRUE(fs::exists(dirs[1] + "/Files/app/app.exe"));
  EXPECT_TRUE(fs::exists(dirs[1] + "/Hives/Software_Delta"));
  for (const std::string& d : dirs) EXPECT_TRUE(fs::exists(d + "/" + layers::wcifs::kImportedMarker)) << d;

  // ImageFsInfo counts the imported layer folders as they are on disk.
  int64_t layer_bytes = 0;
  for (const std::string& d : dirs) layer_bytes += layers::MeasureDir(d)->bytes;
  EXPECT_GT(layer_bytes, 25000);
  const FsUsage usage = manager_->FsInfo();
  EXPECT_EQ(usage.bytes, manager_->content_store().GetUsage().bytes + layer_bytes);

  // A container's rootfs over the pulled chain.
  layers::wcifs::WcifsLayerStoreOptions store_options;
  store_options.layer_dir = [this](const std::string& c) { return manager_->SnapshotDir(c); };
  store_options.root = absl::StrCat(root_, "/wcifs");
  auto store = layers::wcifs::MakeWcifsLayerStore(std::move(store_options), fake_.api());
  auto rootfs = store->Prepare("ctr", chain);
  ASSERT_TRUE(rootfs.ok()) << rootfs.status();
  EXPECT_EQ(rootfs->layer_dirs, dirs);
  const auto prepared = fake_.Calls(LayerCall::kPrepareLayer);
  ASSERT_EQ(prepared.size(), 1u);
  EXPECT_EQ(prepared[0].parents, (std::vector<std::string>{dirs[2], dirs[1], dirs[0]}));
  ASSERT_TRUE(store->Remove("ctr").ok());
  EXPECT_TRUE(fake_.Activated().empty());
}

TEST_F(ImageManagerWindowsTest, AnOlderHostBuildGetsItsOwnManifest) {
  Open(Windows("10.0.17763.1"));
  auto id = manager_->Pull(Ref("multi"));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, (*configs_)[0]);
}

TEST_F(ImageManagerWindowsTest, AHostBuildNoManifestFitsIsRefusedWithTheAvailablePlatforms) {
  Open(Windows("10.0.14393.0"));  // WS2016: neither build runs there
  auto id = manager_->Pull(Ref("multi"));
  ASSERT_EQ(id.status().code(), absl::StatusCode::kNotFound) << id.status();
  const std::string message(id.status().message());
  EXPECT_NE(message.find("no image for platform windows/amd64 (10.0.14393.0)"), std::string::npos) << message;
  EXPECT_NE(message.find("10.0.20348.2227"), std::string::npos) << message;
  EXPECT_NE(message.find("10.0.17763.5329"), std::string::npos) << message;
  EXPECT_TRUE(fake_.Calls(LayerCall::kImportLayer).empty());
  EXPECT_TRUE(fake_.Calls(LayerCall::kProcessBaseImage).empty());
  EXPECT_TRUE(fs::is_empty(absl::StrCat(root_, "/images/snapshots")));

  // An image for one build only is refused the same way on another.
  Open(Windows("10.0.17763.1"));
  auto other = manager_->Pull(Ref("other"));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kNotFound) << other.status();
  EXPECT_NE(other.status().message().find("the image is for windows/amd64 (10.0.20348.2227), which does not run on platform windows/amd64 (10.0.17763.1)"), std::string::npos) << other.status();
}

TEST_F(ImageManagerWindowsTest, ASecondImageOnTheSameBaseImportsOnlyItsOwnLayers) {
  Open(Windows("10.0.20348.2227"));
  ASSERT_TRUE(manager_->Pull(Ref("multi")).ok());
  auto other = manager_->Pull(Ref("other"));
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(fake_.Calls(LayerCall::kProcessBaseImage).size(), 1u);
  EXPECT_EQ(fake_.Calls(LayerCall::kImportLayer).size(), 3u);

  // Removing the first image destroys only the layers nobody else uses.
  const auto first = manager_->Status(Ref("multi"));
  ASSERT_TRUE(first.ok() && first->has_value());
  const std::vector<std::string> chain = (*first)->chain_ids;
  ASSERT_TRUE(manager_->Remove(Ref("multi")).ok());
  EXPECT_TRUE(fs::exists(manager_->SnapshotDir(chain[0])));
  EXPECT_FALSE(fs::exists(manager_->SnapshotDir(chain[1])));
  EXPECT_FALSE(fs::exists(manager_->SnapshotDir(chain[2])));
  EXPECT_EQ(fake_.Calls(LayerCall::kHcsDestroyLayer).size(), 2u);
}

TEST_F(ImageManagerWindowsTest, AnImportCutShortIsRemovedAtTheNextStartAndPulledAgain) {
  Open(Windows("10.0.20348.2227"));
  fake_.Inject(LayerCall::kImportLayer, 0x80004005);
  ASSERT_FALSE(manager_->Pull(Ref("multi")).ok());
  // The base layer is complete; the failed one left a folder without marker.
  Open(Windows("10.0.20348.2227"));
  for (const auto& e : fs::directory_iterator(absl::StrCat(root_, "/images/snapshots"))) {
    EXPECT_TRUE(fs::exists(e.path() / layers::wcifs::kImportedMarker)) << e.path();
  }
  ASSERT_TRUE(manager_->Pull(Ref("multi")).ok());
  EXPECT_EQ(fake_.Calls(LayerCall::kProcessBaseImage).size(), 1u);
}

}  // namespace
}  // namespace silo::image
