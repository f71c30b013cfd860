// The pause's rootfs from the sandbox image: pulled from a real registry
// (Debian's docker-registry on 127.0.0.1) when absent, imported through the
// WCIFS importer and prepared by the WCIFS layer store over the fake layer API.
#include "cri/daemon/windows/pause_rootfs.h"

#include <stdlib.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/layers/wcifs/fake_layer_api.h"
#include "image/layers/wcifs/layer_calls.h"
#include "image/layers/wcifs/wcifs_layer_store.h"
#include "image/layers/wcifs/wcifs_layer_unpacker.h"
#include "image/registry/testing/served_images.h"
#include "image/registry/testing/windows_layers.h"
#include "runtime/store/metadata_db.h"

namespace silo::cri {
namespace {

namespace fs = std::filesystem;
namespace reg = image::registry::testing;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kHostBuild[] = "10.0.20348.2227";

std::string TempDir() {
  char tmpl[] = "/tmp/silo-pause-XXXXXX";
  EXPECT_NE(mkdtemp(tmpl), nullptr);
  return tmpl;
}

class PauseRootfsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto served = reg::ServedImages::Start();
    ASSERT_TRUE(served.ok()) << served.status();
    served_ = served->release();
    reg::TestImage pause;
    pause.platform = reg::WindowsPlatform(kHostBuild);
    pause.layers = {reg::WindowsBaseLayer("20348"), {{"Files/", ""}, {"Files/pause.exe", "MZ pause"}}};
    pause.cmd = {"C:\\pause.exe"};
    ASSERT_TRUE(served_->Serve(pause, "pause", "pause").ok());
    reg::TestImage silent = pause;
    silent.cmd = {};
    ASSERT_TRUE(served_->Serve(silent, "pause", "silent").ok());
  }
  static void TearDownTestSuite() { delete served_; }

  void SetUp() override {
    root_ = TempDir();
    auto db = runtime::store::MetadataDb::Open(absl::StrCat(root_, "/db"));
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    image::ImageManagerOptions o;
    o.root = absl::StrCat(root_, "/images");
    o.registry.insecure_hosts = {served_->host()};
    o.registry.max_attempts = 1;
    o.platform = reg::WindowsPlatform(kHostBuild);
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
    fs::remove_all(root_);
  }
  std::string Ref(const std::string& tag) { return served_->Ref("pause", tag); }

  static reg::ServedImages* served_;
  std::string root_;
  image::layers::wcifs::FakeLayerApi fake_;
  std::unique_ptr<runtime::store::MetadataDb> db_;
  std::unique_ptr<image::ImageManager> images_;
  std::unique_ptr<image::layers::wcifs::WcifsLayerStore> store_;
};
reg::ServedImages* PauseRootfsTest::served_ = nullptr;

TEST_F(PauseRootfsTest, PullsTheSandboxImageWhenAbsentAndMakesAScratchOverItsChain) {
  PauseRootfs pause(fake_.api(), nullptr);
  pause.Attach(images_.get(), store_.get());
  ASSERT_FALSE(images_->Status(Ref("pause"))->has_value());

  absl::StatusOr<runtime::windows::PauseImage> made = pause.Prepare("sb1", Ref("pause"));
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_TRUE(images_->Status(Ref("pause"))->has_value());
  EXPECT_THAT(made->args, ElementsAre("C:\\pause.exe"));
  ASSERT_EQ(made->rootfs.parent_layers.size(), 2u);  // nearest first: the pause layer, then the base
  const auto record = images_->Status(Ref("pause"));
  // As HCS takes them: Windows separators.
  using image::layers::wcifs::WindowsPath;
  EXPECT_EQ(made->rootfs.parent_layers[0].path, WindowsPath(images_->SnapshotDir((*record)->chain_ids[1])));
  EXPECT_EQ(made->rootfs.parent_layers[1].path, WindowsPath(images_->SnapshotDir((*record)->chain_ids[0])));
  EXPECT_FALSE(made->rootfs.scratch_volume_path.empty());
  const std::string scratch = store_->ScratchDir(PauseRootfs::LayerKey("sb1"));
  EXPECT_TRUE(fake_.IsActivated(scratch));
  EXPECT_TRUE(fs::exists(scratch));

  ASSERT_TRUE(pause.Release("sb1").ok());
  EXPECT_TRUE(fake_.Activated().empty());
  EXPECT_FALSE(fs::exists(scratch));
  EXPECT_TRUE(pause.Release("sb1").ok()) << "idempotent";
}

TEST_F(PauseRootfsTest, AnImageTheRegistryLacksFailsNamingItAndLeavesNothing) {
  PauseRootfs pause(fake_.api(), nullptr);
  pause.Attach(images_.get(), store_.get());
  absl::StatusOr<runtime::windows::PauseImage> made = pause.Prepare("sb1", Ref("absent"));
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), absl::StatusCode::kNotFound) << made.status();
  EXPECT_THAT(made.status().message(), HasSubstr(absl::StrCat("pull the sandbox image ", Ref("absent"))));
  EXPECT_TRUE(fake_.Activated().empty());
  EXPECT_FALSE(fs::exists(store_->ScratchDir(PauseRootfs::LayerKey("sb1"))));
}

TEST_F(PauseRootfsTest, AnImageWithoutACommandIsRefusedBeforeAnyScratchIsMade) {
  PauseRootfs pause(fake_.api(), nullptr);
  pause.Attach(images_.get(), store_.get());
  absl::StatusOr<runtime::windows::PauseImage> made = pause.Prepare("sb1", Ref("silent"));
  EXPECT_EQ(made.status().code(), absl::StatusCode::kFailedPrecondition) << made.status();
  EXPECT_THAT(made.status().message(), HasSubstr("neither an entrypoint nor a command"));
  EXPECT_TRUE(fake_.Calls(image::layers::wcifs::LayerCall::kCreateSandboxLayer).empty());
}

TEST_F(PauseRootfsTest, BeforeTheImageStoreIsOpenNothingIsPreparedOrReleased) {
  PauseRootfs pause(fake_.api(), nullptr);
  EXPECT_EQ(pause.Prepare("sb1", Ref("pause")).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(pause.Release("sb1").code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace silo::cri
