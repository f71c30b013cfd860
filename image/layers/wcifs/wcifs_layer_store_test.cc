#include "image/layers/wcifs/wcifs_layer_store.h"

#include <filesystem>
#include <memory>

#include "gtest/gtest.h"
#include "image/layers/testing/temp_dir.h"
#include "image/layers/wcifs/fake_layer_api.h"
#include "runtime/base/windows/wide.h"
#include "image/layers/wcifs/importer.h"
#include "runtime/base/file_util.h"

namespace silo::image::layers::wcifs {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr uint32_t kEFail = 0x80004005;
constexpr RetryPolicy kFast{5, std::chrono::milliseconds(0)};

// The lifecycle calls (not NameToGuid), as "Call path [parents...]".
std::vector<std::string> Sequence(const FakeLayerApi& fake) {
  std::vector<std::string> out;
  for (const FakeLayerCall& c : fake.Calls()) {
    std::string name;
    switch (c.call) {
      case LayerCall::kCreateSandboxLayer: name = "CreateSandboxLayer"; break;
      case LayerCall::kExpandSandboxSize: name = "ExpandSandboxSize"; break;
      case LayerCall::kActivateLayer: name = "ActivateLayer"; break;
      case LayerCall::kPrepareLayer: name = "PrepareLayer"; break;
      case LayerCall::kGetLayerMountPath: name = "GetLayerMountPath"; break;
      case LayerCall::kUnprepareLayer: name = "UnprepareLayer"; break;
      case LayerCall::kDeactivateLayer: name = "DeactivateLayer"; break;
      case LayerCall::kDestroyLayer: name = "DestroyLayer"; break;
      case LayerCall::kHcsDestroyLayer: name = "HcsDestroyLayer"; break;
      default: continue;
    }
    for (const std::string& p : c.parents) name += " " + fs::path(p).filename().string();
    if (c.hr != 0) name += " FAILED";
    out.push_back(name);
  }
  return out;
}

class WcifsLayerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Three imported layers: chain ids c0 (base) .. c2 (top).
    for (const char* chain : {"c0", "c1", "c2"}) {
      ASSERT_TRUE(MakeDirs(LayerDir(chain)).ok());
      ASSERT_TRUE(AtomicWriteFile(LayerDir(chain) + "/" + kImportedMarker, "").ok());
    }
    store_ = MakeStore();
  }
  std::string LayerDir(const std::string& chain) const { return dir_.Sub("layers/" + chain); }
  std::unique_ptr<WcifsLayerStore> MakeStore(uint64_t scratch_size = 0) {
    WcifsLayerStoreOptions o;
    o.layer_dir = [this](const std::string& chain) { return LayerDir(chain); };
    o.root = dir_.Sub("wcifs");
    o.scratch_size_bytes = scratch_size;
    o.retry = kFast;
    return MakeWcifsLayerStore(std::move(o), fake_->api());
  }
  std::string Record(const std::string& id) const { return dir_.Sub("wcifs/mounts/" + id + ".json"); }
  // Nothing activated, prepared, recorded or on disk for `id`.
  void ExpectNothingLeft(const std::string& id) {
    EXPECT_TRUE(fake_->Activated().empty());
    EXPECT_TRUE(fake_->Prepared().empty());
    EXPECT_FALSE(fs::exists(store_->ScratchDir(id)));
    EXPECT_FALSE(fs::exists(Record(id)));
  }

  TempDir dir_;
  std::unique_ptr<FakeLayerApi> fake_ = std::make_unique<FakeLayerApi>();
  std::unique_ptr<WcifsLayerStore> store_;
  const std::vector<std::string> chain_ = {"c0", "c1", "c2"};
};

TEST_F(WcifsLayerStoreTest, PrepareMakesTheScratchOverTheChainNearestParentFirst) {
  auto rootfs = store_->Prepare("ctr1", chain_);
  ASSERT_TRUE(rootfs.ok()) << rootfs.status();
  EXPECT_TRUE(rootfs->path.starts_with("\\\\?\\Volume{")) << rootfs->path;
  EXPECT_EQ(rootfs->layer_dirs, (std::vector<std::string>{LayerDir("c0"), LayerDir("c1"), LayerDir("c2")}));
  EXPECT_EQ(Sequence(*fake_), (std::vector<std::string>{"CreateSandboxLayer c2 c1 c0", "ActivateLayer",
                                                        "PrepareLayer c2 c1 c0", "GetLayerMountPath",
                                                        "GetLayerMountPath"}));
  const std::string scratch = store_->ScratchDir("ctr1");
  for (const FakeLayerCall& c : fake_->Calls()) {
    if (c.call != LayerCall::kNameToGuid) {
      EXPECT_EQ(c.path, scratch);
    }
  }
  EXPECT_TRUE(fake_->IsPrepared(scratch));
  EXPECT_EQ(*ReadFile(scratch + "/layerchain.json"),
            "[\"" + LayerDir("c2") + "\",\"" + LayerDir("c1") + "\",\"" + LayerDir("c0") + "\"]");
  EXPECT_TRUE(fs::exists(Record("ctr1")));
  EXPECT_EQ(store_->Prepare("ctr1", chain_).status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(WcifsLayerStoreTest, ReleaseAndRemoveUndoPrepareInReverse) {
  ASSERT_TRUE(store_->Prepare("ctr1", chain_).ok());
  const size_t prepared_calls = Sequence(*fake_).size();
  ASSERT_TRUE(store_->Release("ctr1").ok());
  EXPECT_TRUE(fs::exists(store_->ScratchDir("ctr1") + "/sandbox.vhdx"));  // a stopped container keeps it
  ASSERT_TRUE(store_->Release("ctr1").ok());                               // idempotent: no second call
  ASSERT_TRUE(store_->Remove("ctr1").ok());
  ASSERT_TRUE(store_->Remove("ctr1").ok());
  const std::vector<std::string> seq = Sequence(*fake_);
  EXPECT_EQ(std::vector<std::string>(seq.begin() + static_cast<long>(prepared_calls), seq.end()),
            (std::vector<std::string>{"UnprepareLayer", "DeactivateLayer", "HcsDestroyLayer"}));
  ExpectNothingLeft("ctr1");
}

TEST_F(WcifsLayerStoreTest, RemoveReleasesFirstAndUsesVmcomputeWithoutComputeStorage) {
  fake_->RemoveComputeStorage();
  ASSERT_TRUE(store_->Prepare("ctr1", chain_).ok());
  ASSERT_TRUE(store_->Remove("ctr1").ok());
  const std::vector<std::string> seq = Sequence(*fake_);
  ASSERT_GE(seq.size(), 3u);
  EXPECT_EQ(std::vector<std::string>(seq.end() - 3, seq.end()),
            (std::vector<std::string>{"UnprepareLayer", "DeactivateLayer", "DestroyLayer"}));
  ExpectNothingLeft("ctr1");
}

TEST_F(WcifsLayerStoreTest, AFailureAtEveryStepLeavesNothingBehind) {
  for (LayerCall step : {LayerCall::kCreateSandboxLayer, LayerCall::kExpandSandboxSize, LayerCall::kNameToGuid,
                         LayerCall::kActivateLayer, LayerCall::kPrepareLayer, LayerCall::kGetLayerMountPath}) {
    SCOPED_TRACE(static_cast<int>(step));
    store_.reset();
    fake_.reset();
    fake_ = std::make_unique<FakeLayerApi>();
    store_ = MakeStore(/*scratch_size=*/20ull << 30);
    fake_->Inject(step, kEFail);
    auto rootfs = store_->Prepare("ctr1", chain_);
    ASSERT_FALSE(rootfs.ok());
    ExpectNothingLeft("ctr1");
    // No refused call: the undo only released what had been done.
    for (const FakeLayerCall& c : fake_->Calls()) {
      if (c.hr != 0) {
        EXPECT_EQ(c.call, step) << "refused call " << static_cast<int>(c.call);
      }
    }
    // And a retry succeeds from a clean slate.
    ASSERT_TRUE(store_->Prepare("ctr1", chain_).ok());
    ASSERT_TRUE(store_->Remove("ctr1").ok());
    ExpectNothingLeft("ctr1");
  }
}

TEST_F(WcifsLayerStoreTest, TransientMountErrorsAreRetried) {
  fake_->Inject(LayerCall::kPrepareLayer, 0x80070000u | kErrorNotReady, 2);
  ASSERT_TRUE(store_->Prepare("ctr1", chain_).ok());
  EXPECT_EQ(Sequence(*fake_),
            (std::vector<std::string>{"CreateSandboxLayer c2 c1 c0", "ActivateLayer", "PrepareLayer c2 c1 c0 FAILED",
                                      "DeactivateLayer", "ActivateLayer", "PrepareLayer c2 c1 c0 FAILED",
                                      "DeactivateLayer", "ActivateLayer", "PrepareLayer c2 c1 c0",
                                      "GetLayerMountPath", "GetLayerMountPath"}));
}

TEST_F(WcifsLayerStoreTest, AChainWithAMissingOrIncompleteLayerIsRefusedUntouched) {
  ASSERT_TRUE(MakeDirs(LayerDir("half")).ok());  // no completion marker
  EXPECT_EQ(store_->Prepare("ctr1", {"c0", "half"}).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Prepare("ctr1", {"c0", "absent"}).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Prepare("ctr1", {}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Prepare("../x", chain_).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Sequence(*fake_).empty());
  ExpectNothingLeft("ctr1");
}

TEST_F(WcifsLayerStoreTest, AFailedReleaseKeepsTheRecordAndIsRetried) {
  ASSERT_TRUE(store_->Prepare("ctr1", chain_).ok());
  fake_->Inject(LayerCall::kUnprepareLayer, kEFail);
  EXPECT_FALSE(store_->Remove("ctr1").ok());
  EXPECT_TRUE(fs::exists(Record("ctr1")));
  EXPECT_TRUE(fs::exists(store_->ScratchDir("ctr1")));  // not destroyed while still mounted
  EXPECT_TRUE(fake_->Calls(LayerCall::kDeactivateLayer).empty());  // not detached under the filter
  ASSERT_TRUE(store_->Remove("ctr1").ok());
  ExpectNothingLeft("ctr1");
}

TEST_F(WcifsLayerStoreTest, AStoreAfterARestartReleasesWhatTheEarlierOnePrepared) {
  ASSERT_TRUE(store_->Prepare("kept", chain_).ok());
  ASSERT_TRUE(store_->Prepare("gone", chain_).ok());
  ASSERT_TRUE(store_->Prepare("removed", chain_).ok());
  store_ = MakeStore();  // silod restarted: only the root is shared
  auto released = store_->Recover({"kept", "removed"});
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_EQ(*released, std::vector<std::string>{"gone"});
  EXPECT_FALSE(fake_->IsActivated(store_->ScratchDir("gone")));
  EXPECT_TRUE(fake_->IsPrepared(store_->ScratchDir("kept")));
  ASSERT_TRUE(store_->Remove("removed").ok());
  EXPECT_FALSE(fs::exists(store_->ScratchDir("removed")));
  ASSERT_TRUE(store_->Remove("gone").ok());
  ASSERT_TRUE(store_->Remove("kept").ok());
  EXPECT_TRUE(fake_->Activated().empty());
  EXPECT_TRUE(fs::is_empty(dir_.Sub("wcifs/scratch")));
}

// silod killed inside Prepare, after the record and ActivateLayer but before
// PrepareLayer finished (and, for "ctr3", before ActivateLayer): the next
// silod's Remove still leaves nothing activated or on disk.
TEST_F(WcifsLayerStoreTest, RemoveAfterADaemonDiedMidMountUndoesWhatWasDone) {
  const DriverInfo info{kFilterDriverFlavour, L""};
  for (const std::string id : {"ctr2", "ctr3"}) {
    const std::string scratch = store_->ScratchDir(id);
    ASSERT_TRUE(MakeDirs(scratch).ok());
    ASSERT_TRUE(AtomicWriteFile(scratch + "/sandbox.vhdx", "v").ok());
    ASSERT_TRUE(MakeDirs(dir_.Sub("wcifs/mounts")).ok());
    ASSERT_TRUE(AtomicWriteFile(Record(id), "{\"scratch\":\"" + scratch + "\",\"parents\":[\"" + LayerDir("c0") +
                                                "\"],\"mounted\":false}")
                    .ok());
    if (id == "ctr2") {
      const std::wstring w = silo::win32::Utf8ToWide(WindowsPath(scratch));
      ASSERT_EQ(fake_->api()->activate_layer(&info, w.c_str()), 0u);
    }
  }
  store_ = MakeStore();
  ASSERT_TRUE(store_->Remove("ctr2").ok());
  ASSERT_TRUE(store_->Remove("ctr3").ok());
  ExpectNothingLeft("ctr2");
  ExpectNothingLeft("ctr3");
}

// GetLayerMountPath fails and the undo's UnprepareLayer is refused too: the
// layer stays prepared and activated. A retry of Prepare for the same id
// finishes that undo first instead of failing on it for good.
TEST_F(WcifsLayerStoreTest, ARetryOfPrepareFinishesAHalfDoneMountItsUndoCouldNotRemove) {
  fake_->Inject(LayerCall::kGetLayerMountPath, kEFail);
  fake_->Inject(LayerCall::kUnprepareLayer, kEFail);
  auto failed = store_->Prepare("ctr1", chain_);
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(std::string(failed.status().message()), ::testing::HasSubstr("DeactivateLayer"));
  EXPECT_TRUE(fake_->IsPrepared(store_->ScratchDir("ctr1")));
  EXPECT_TRUE(fs::exists(Record("ctr1")));  // what a retry needs to finish the undo
  auto retried = store_->Prepare("ctr1", chain_);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_TRUE(fake_->IsPrepared(store_->ScratchDir("ctr1")));
  ASSERT_TRUE(store_->Remove("ctr1").ok());
  ExpectNothingLeft("ctr1");
}

TEST_F(WcifsLayerStoreTest, AReleaseFinishesAHalfDoneMountItsUndoCouldNotRemove) {
  fake_->Inject(LayerCall::kGetLayerMountPath, kEFail);
  fake_->Inject(LayerCall::kUnprepareLayer, kEFail);
  ASSERT_FALSE(store_->Prepare("ctr1", chain_).ok());
  // Still in use: the release fails and keeps the record for the next try.
  fake_->Inject(LayerCall::kUnprepareLayer, kEFail);
  EXPECT_FALSE(store_->Release("ctr1").ok());
  EXPECT_TRUE(fs::exists(Record("ctr1")));
  EXPECT_TRUE(fake_->IsActivated(store_->ScratchDir("ctr1")));
  ASSERT_TRUE(store_->Release("ctr1").ok());
  EXPECT_TRUE(fake_->Activated().empty());
  EXPECT_TRUE(fake_->Prepared().empty());
  EXPECT_FALSE(fs::exists(Record("ctr1")));
  ASSERT_TRUE(store_->Remove("ctr1").ok());
  ExpectNothingLeft("ctr1");
  ASSERT_TRUE(store_->Prepare("ctr1", chain_).ok());  // the id is usable again
  ASSERT_TRUE(store_->Remove("ctr1").ok());
}

TEST_F(WcifsLayerStoreTest, WritableLayerUsageIsMeasuredFromTheScratchFolder) {
  EXPECT_EQ(store_->WritableLayerUsage("ctr1").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store_->Prepare("ctr1", chain_).ok());
  auto before = store_->WritableLayerUsage("ctr1");
  ASSERT_TRUE(before.ok()) << before.status();
  const int64_t chain_json = static_cast<int64_t>(ReadFile(store_->ScratchDir("ctr1") + "/layerchain.json")->size());
  EXPECT_EQ(before->bytes, static_cast<int64_t>(kFakeScratchVhdBytes) + chain_json);
  EXPECT_EQ(before->inodes, 3);  // the folder, sandbox.vhdx, layerchain.json
  // The container writes: the VHDX grows.
  ASSERT_TRUE(AtomicWriteFile(store_->ScratchDir("ctr1") + "/sandbox.vhdx", std::string(3 * kFakeScratchVhdBytes, 'w'))
                  .ok());
  auto after = store_->WritableLayerUsage("ctr1");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->bytes - before->bytes, static_cast<int64_t>(2 * kFakeScratchVhdBytes));
}

}  // namespace
}  // namespace silo::image::layers::wcifs
