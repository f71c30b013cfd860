#include "image/layers/wcifs/layer_calls.h"

#include <filesystem>

#include "gtest/gtest.h"
#include "image/layers/testing/temp_dir.h"
#include "image/layers/wcifs/fake_layer_api.h"
#include "runtime/base/file_util.h"

namespace silo::image::layers::wcifs {
namespace {

constexpr RetryPolicy kFast{5, std::chrono::milliseconds(0)};

// The strict fake knows only layers that exist: a scratch folder with
// sandbox.vhdx under `dir`, and its parent folders.
class Layers {
 public:
  Layers() {
    for (const char* name : {"top", "base", "s", "scratch"}) EXPECT_TRUE(MakeDirs(Path(name)).ok());
    for (const char* name : {"s", "scratch"}) EXPECT_TRUE(AtomicWriteFile(Path(name) + "/sandbox.vhdx", "v").ok());
  }
  std::string Path(const std::string& name) const { return dir_.Sub(name); }

 private:
  testing::TempDir dir_;
};

TEST(LayerCallsTest, MountRetriesNotReadyThenReturnsVolumePath) {
  FakeLayerApi fake;
  LayerCalls calls(fake.api(), kFast);
  Layers l;
  const std::string scratch = l.Path("scratch"), top = l.Path("top"), base = l.Path("base");
  fake.Inject(LayerCall::kActivateLayer, kErrorNotReady, 2);
  fake.Inject(LayerCall::kPrepareLayer, 0x80070000u | kErrorDeviceNotConnected, 1);
  auto path = calls.Mount(scratch, {top, base});
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_TRUE(path->starts_with("\\\\?\\Volume{"));
  EXPECT_EQ(fake.Calls(LayerCall::kActivateLayer).size(), 4u);  // 2 failed, 1 before the Prepare failure, 1 ok
  const auto prepares = fake.Calls(LayerCall::kPrepareLayer);
  ASSERT_EQ(prepares.size(), 2u);
  EXPECT_EQ(prepares.back().parents, (std::vector<std::string>{top, base}));
  // The failed Prepare deactivated before retrying.
  EXPECT_EQ(fake.Calls(LayerCall::kDeactivateLayer).size(), 1u);
  EXPECT_TRUE(fake.IsPrepared(scratch));
  ASSERT_TRUE(calls.Unmount(scratch).ok());
  EXPECT_FALSE(fake.IsPrepared(scratch));
  EXPECT_FALSE(fake.IsActivated(scratch));
}

TEST(LayerCallsTest, MountGivesUpAfterTheAttemptsAndOnOtherErrors) {
  FakeLayerApi fake;
  LayerCalls calls(fake.api(), kFast);
  Layers l;
  fake.Inject(LayerCall::kActivateLayer, kErrorNotReady, 5);
  auto path = calls.Mount(l.Path("s"), {l.Path("base")});
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status().hr(), kErrorNotReady);
  EXPECT_NE(path.status().message().find("after 5 attempts"), std::string::npos);

  fake.Inject(LayerCall::kActivateLayer, 0x80070005, 1);  // access denied: not retried
  auto denied = calls.Mount(l.Path("s"), {l.Path("base")});
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(fake.Calls(LayerCall::kActivateLayer).size(), 6u);
}

TEST(LayerCallsTest, MountPathFailureReleasesTheMount) {
  FakeLayerApi fake;
  LayerCalls calls(fake.api(), kFast);
  Layers l;
  fake.Inject(LayerCall::kGetLayerMountPath, 0x80004005, 1);
  ASSERT_FALSE(calls.Mount(l.Path("s"), {l.Path("base")}).ok());
  EXPECT_FALSE(fake.IsActivated(l.Path("s")));
  EXPECT_EQ(fake.Calls(LayerCall::kUnprepareLayer).size(), 1u);
}

TEST(LayerCallsTest, LayerIdIsNameToGuidOfTheFolderName) {
  FakeLayerApi fake;
  LayerCalls calls(fake.api());
  auto a = calls.LayerId("/x/layers/abc");
  auto b = calls.LayerId("/y/abc/");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(a->size(), 36u);
  EXPECT_EQ(fake.Calls(LayerCall::kNameToGuid).front().path, "abc");
}

TEST(LayerCallsTest, DestroyPrefersComputeStorage) {
  FakeLayerApi fake;
  LayerCalls calls(fake.api());
  Layers l;
  ASSERT_TRUE(calls.DestroyLayer(l.Path("top")).ok());
  EXPECT_EQ(fake.Calls(LayerCall::kHcsDestroyLayer).size(), 1u);
  fake.RemoveComputeStorage();
  ASSERT_TRUE(calls.DestroyLayer(l.Path("base")).ok());
  EXPECT_EQ(fake.Calls(LayerCall::kDestroyLayer).size(), 1u);
}

TEST(LayerCallsTest, WindowsPathUsesBackslashesAndKeepsPrefixes) {
  EXPECT_EQ(WindowsPath("C:\\ProgramData\\silo\\root/wcifs/scratch/c1"), "C:\\ProgramData\\silo\\root\\wcifs\\scratch\\c1");
  EXPECT_EQ(WindowsPath("C:/a//b\\\\c/"), "C:\\a\\b\\c\\");
  EXPECT_EQ(WindowsPath("\\\\?\\C:\\a/b"), "\\\\?\\C:\\a\\b");
  EXPECT_EQ(WindowsPath("\\\\server\\share/x"), "\\\\server\\share\\x");
  EXPECT_EQ(WindowsPath("//?/C:/a"), "\\\\?\\C:\\a");
}

// Every path vmcompute gets is a Windows path, whatever the caller joined
// it with (the fake refuses one with '/').
TEST(LayerCallsTest, MixedSeparatorsReachTheApiAsWindowsPaths) {
  FakeLayerApi fake;
  testing::TempDir dir;
  LayerCalls calls(fake.api(), RetryPolicy{1, std::chrono::milliseconds(0)});
  const std::string base = dir.Sub("base"), scratch = dir.Sub("scratch");
  std::filesystem::create_directories(base);
  std::filesystem::create_directories(scratch);
  ASSERT_TRUE(calls.CreateSandboxLayer(scratch, {base}).ok());
  auto volume = calls.Mount(scratch, {base});
  ASSERT_TRUE(volume.ok()) << volume.status().ToString();
  ASSERT_TRUE(calls.Unmount(scratch).ok());
  for (const FakeLayerCall& c : fake.Calls()) EXPECT_EQ(c.hr, 0u) << static_cast<int>(c.call) << " " << c.path;
}

}  // namespace
}  // namespace silo::image::layers::wcifs
