#include "image/layers/wcifs/mounts.h"

#include <filesystem>

#include "gtest/gtest.h"
#include "image/layers/testing/temp_dir.h"
#include "image/layers/wcifs/fake_layer_api.h"
#include "runtime/base/file_util.h"

namespace silo::image::layers::wcifs {
namespace {

using testing::TempDir;
constexpr RetryPolicy kFast{5, std::chrono::milliseconds(0)};

class MountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = dir_.Sub("base");
    ASSERT_TRUE(MakeDirs(base_).ok());
    ASSERT_TRUE(AtomicWriteFile(base_ + "/blank.vhdx", "VHDX").ok());
    for (const char* s : {"s1", "s2", "s3"}) {
      ASSERT_TRUE(MakeDirs(dir_.Sub(s)).ok());
      ASSERT_TRUE(AtomicWriteFile(dir_.Sub(s) + "/sandbox.vhdx", "VHDX").ok());
    }
  }
  TempDir dir_;
  FakeLayerApi fake_;
  Mounts mounts_{LayerCalls(fake_.api(), kFast), dir_.Sub("mounts")};
  std::string base_;
};

TEST_F(MountsTest, ScratchWithAndWithoutSize) {
  ASSERT_TRUE(MakeDirs(dir_.Sub("top")).ok());
  const std::vector<std::string> parents = {dir_.Sub("top"), base_};
  ASSERT_TRUE(mounts_.CreateScratch(dir_.Sub("s0"), parents, 0).ok());
  EXPECT_EQ(*ReadFile(dir_.Sub("s0/sandbox.vhdx")), "VHDX");
  EXPECT_EQ(*ReadFile(dir_.Sub("s0/layerchain.json")), "[\"" + parents[0] + "\",\"" + base_ + "\"]");
  EXPECT_TRUE(fake_.Calls(LayerCall::kExpandSandboxSize).empty());

  ASSERT_TRUE(mounts_.CreateScratch(dir_.Sub("s4"), parents, 40ull << 30).ok());
  const auto expands = fake_.Calls(LayerCall::kExpandSandboxSize);
  ASSERT_EQ(expands.size(), 1u);
  EXPECT_EQ(expands[0].path, dir_.Sub("s4"));
  EXPECT_EQ(expands[0].number, 40ull << 30);

  EXPECT_EQ(mounts_.CreateScratch(dir_.Sub("s5"), {dir_.Sub("nobase")}, 0).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(MountsTest, MountWithRetriesAndSymmetricRelease) {
  fake_.Inject(LayerCall::kPrepareLayer, kErrorNotReady, 2);
  auto volume = mounts_.Mount("c1", dir_.Sub("s1"), {base_});
  ASSERT_TRUE(volume.ok()) << volume.status();
  EXPECT_TRUE(volume->starts_with("\\\\?\\Volume{"));
  EXPECT_TRUE(fake_.IsPrepared(dir_.Sub("s1")));
  EXPECT_TRUE(std::filesystem::exists(dir_.Sub("mounts/c1.json")));

  ASSERT_TRUE(mounts_.Release("c1").ok());
  EXPECT_FALSE(fake_.IsActivated(dir_.Sub("s1")));
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("mounts/c1.json")));
  ASSERT_TRUE(mounts_.Release("c1").ok());  // idempotent
  EXPECT_EQ(fake_.Calls(LayerCall::kUnprepareLayer).size(), 1u);
}

TEST_F(MountsTest, FailedReleaseKeepsTheRecordForRecovery) {
  ASSERT_TRUE(mounts_.Mount("c1", dir_.Sub("s1"), {base_}).ok());
  fake_.Inject(LayerCall::kUnprepareLayer, 0x80004005);
  EXPECT_FALSE(mounts_.Release("c1").ok());
  EXPECT_TRUE(std::filesystem::exists(dir_.Sub("mounts/c1.json")));
  ASSERT_TRUE(mounts_.Release("c1").ok());
}

TEST_F(MountsTest, FailedMountLeavesNothingBehind) {
  fake_.Inject(LayerCall::kActivateLayer, 0x80070005);
  EXPECT_EQ(mounts_.Mount("c1", dir_.Sub("s1"), {base_}).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("mounts/c1.json")));
  EXPECT_FALSE(mounts_.Mount("../x", dir_.Sub("s1"), {base_}).ok());
}

TEST_F(MountsTest, RecoveryReleasesMountsOfVanishedContainers) {
  ASSERT_TRUE(mounts_.Mount("alive", dir_.Sub("s1"), {base_}).ok());
  ASSERT_TRUE(mounts_.Mount("gone1", dir_.Sub("s2"), {base_}).ok());
  ASSERT_TRUE(mounts_.Mount("gone2", dir_.Sub("s3"), {base_}).ok());
  // A fresh Mounts over the same state directory, as after a daemon restart.
  Mounts restarted(LayerCalls(fake_.api(), kFast), dir_.Sub("mounts"));
  auto released = restarted.Recover({"alive"});
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_EQ(*released, (std::vector<std::string>{"gone1", "gone2"}));
  EXPECT_TRUE(fake_.IsPrepared(dir_.Sub("s1")));
  EXPECT_FALSE(fake_.IsActivated(dir_.Sub("s2")));
  EXPECT_FALSE(fake_.IsActivated(dir_.Sub("s3")));
}

TEST_F(MountsTest, RemovesOnlyUnreferencedLayers) {
  const std::string a = dir_.Sub("a"), b = dir_.Sub("b");
  ASSERT_TRUE(MakeDirs(a).ok());
  ASSERT_TRUE(MakeDirs(b).ok());
  auto removed = mounts_.RemoveLayers({a, b}, [&](const std::string& p) { return p == b; });
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, std::vector<std::string>{a});
  EXPECT_FALSE(std::filesystem::exists(a));
  EXPECT_TRUE(std::filesystem::exists(b));
  const auto destroys = fake_.Calls(LayerCall::kHcsDestroyLayer);
  ASSERT_EQ(destroys.size(), 1u);
  EXPECT_EQ(destroys[0].path, a);
}

}  // namespace
}  // namespace silo::image::layers::wcifs
