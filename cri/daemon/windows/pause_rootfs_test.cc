// The pause's rootfs from the sandbox image: pulled from a real registry
// (Debian's docker-registry on 127.0.0.1) when absent, imported through the
// WCIFS importer and prepared by the WCIFS layer store over the fake layer API.
#include "cri/daemon/windows/pause_rootfs.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "cri/daemon/windows/testing/wcifs_images_test_base.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/layers/wcifs/layer_calls.h"

namespace silo::cri {
namespace {

namespace fs = std::filesystem;
namespace reg = image::registry::testing;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class PauseRootfsTest : public testing::WcifsImagesTestBase {
 protected:
  static void SetUpTestSuite() {
    reg::TestImage pause;
    pause.platform = reg::WindowsPlatform(testing::kTestHostBuild);
    pause.layers = {reg::WindowsBaseLayer("20348"), {{"Files/", ""}, {"Files/pause.exe", "MZ pause"}}};
    pause.cmd = {"C:\\pause.exe"};
    reg::TestImage silent = pause;
    silent.cmd = {};
    Serve({{pause, "pause"}, {silent, "silent"}}, "pause");
  }
};

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
