// Hostile Windows layers against the importer: a layer tar controls the
// names it writes and can plant junctions and symlinks, so every write,
// mkdir, tombstone delete and hard link must stay inside the layer. The
// fake models reparse points as symlinks to an "outside" folder and refuses
// what NtCreateFile with OBJ_DONT_REPARSE refuses; these tests build plans
// directly (bypassing the tar walker, which rejects most of them earlier)
// to prove the importer's own file calls cannot escape.
#include <filesystem>
#include <fstream>
#include <set>

#include "gtest/gtest.h"
#include "image/layers/testing/temp_dir.h"
#include "image/layers/testing/windows_entry.h"
#include "image/layers/wcifs/fake_layer_api.h"
#include "image/layers/wcifs/importer.h"

namespace silo::image::layers::wcifs {
namespace {

namespace fs = std::filesystem;
using testing::Entry;
using testing::TempDir;

// A junction (mount point) or a directory symlink to C:\.
WindowsEntry Link(std::string path, bool junction) {
  WindowsEntry e = Entry(std::move(path), WindowsEntryKind::kSymlink, "C:\\");
  e.attributes = 0x410;  // directory | reparse point
  e.mount_point = junction;
  return e;
}

LayerSource Source(std::vector<WindowsEntry> entries) {
  LayerSource s;
  for (auto& e : entries) {
    if (e.kind == WindowsEntryKind::kFile) e.size = e.path.size();
  }
  s.plan.entries = std::move(entries);
  s.read = [plan = s.plan](size_t i, std::string* data, std::vector<AlternateStream>*) {
    *data = plan.entries[i].path;
    return absl::OkStatus();
  };
  return s;
}

void Touch(const std::string& path) { std::ofstream(path) << "host"; }

std::set<std::string> Listing(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) out.insert(e.path().string());
  return out;
}

// A layer folder, its importer, and a host folder every planted reparse
// point leads to, holding a file a hostile layer would like to delete or
// link to.
struct Fixture {
  Fixture() : importer(LayerCalls(fake.api()), ImporterOptions{dir.Sub("staging"), false}) {
    fake.SetReparseTarget(host.path());
    Touch(host.Sub("victim"));
    before = Listing(host.path());
  }
  // Nothing under the host folder changed, and every call that succeeded
  // acted on a path that, with links resolved, lies inside `dir`.
  void ExpectNothingEscaped() {
    EXPECT_EQ(Listing(host.path()), before);
    std::error_code ec;
    const std::string inside = fs::weakly_canonical(dir.path(), ec).string() + "/";
    for (const FakeLayerCall& c : fake.Calls()) {
      if (c.root.empty() || c.hr != 0) continue;
      const std::string resolved = fs::weakly_canonical(fs::path(c.root) / c.rel, ec).string();
      const bool link_itself = fs::is_symlink(fs::symlink_status(fs::path(c.root) / c.rel, ec));
      if (!link_itself) EXPECT_TRUE(resolved.starts_with(inside)) << c.path << " resolved to " << resolved;
      if (c.call == LayerCall::kLink) {
        EXPECT_TRUE(fs::weakly_canonical(c.arg, ec).string().starts_with(inside)) << c.arg;
      }
    }
  }
  FakeLayerApi fake;
  TempDir dir, host;
  Importer importer;
  std::set<std::string> before;
};

void ExpectRefused(const absl::Status& s, const std::string& entry) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find(entry), absl::string_view::npos) << s;
}

TEST(ImporterHostileTest, BaseLayerWriteBeneathJunctionIsRefused) {
  Fixture f;
  const std::string layer = f.dir.Sub("base");
  absl::Status s = f.importer.ImportLayer(
      layer, {}, Source({Entry("Files", WindowsEntryKind::kDirectory), Link("Files/j", true),
                         Entry("Files/j/x", WindowsEntryKind::kFile)}));
  ExpectRefused(s, "Files/j/x");
  EXPECT_TRUE(fs::is_symlink(layer + "/Files/j"));
  EXPECT_FALSE(fs::exists(f.host.Sub("x")));
  f.ExpectNothingEscaped();
}

// A directory entry repeating a junction's name is not written into the
// junction (its security and streams would land on the planted link).
TEST(ImporterHostileTest, BaseLayerDirectoryEntryOverAJunctionIsRefused) {
  Fixture f;
  const std::string layer = f.dir.Sub("base");
  absl::Status s = f.importer.ImportLayer(
      layer, {}, Source({Entry("Files", WindowsEntryKind::kDirectory), Link("Files/j", true),
                         Entry("Files/j", WindowsEntryKind::kDirectory)}));
  ExpectRefused(s, "Files/j");
  EXPECT_TRUE(fs::is_symlink(layer + "/Files/j"));
  f.ExpectNothingEscaped();
}

TEST(ImporterHostileTest, BaseLayerDirectoryBeneathSymlinkIsRefused) {
  Fixture f;
  const std::string layer = f.dir.Sub("base");
  absl::Status s = f.importer.ImportLayer(
      layer, {}, Source({Entry("Files", WindowsEntryKind::kDirectory), Link("Files/s", false),
                         Entry("Files/s/Windows", WindowsEntryKind::kDirectory),
                         Entry("Files/s/Windows/evil.dll", WindowsEntryKind::kFile)}));
  ExpectRefused(s, "Files/s/Windows");
  EXPECT_FALSE(fs::exists(f.host.Sub("Windows")));
  f.ExpectNothingEscaped();
}

TEST(ImporterHostileTest, DiffLayerTombstoneBeneathJunctionDeletesNothingOutside) {
  Fixture f;
  const std::string base = f.dir.Sub("base"), diff = f.dir.Sub("diff");
  ASSERT_TRUE(f.importer.ImportLayer(base, {}, Source({Entry("Files", WindowsEntryKind::kDirectory)})).ok());
  absl::Status s = f.importer.ImportLayer(
      diff, {base}, Source({Entry("Files", WindowsEntryKind::kDirectory), Link("Files/j", true),
                            Entry("Files/j/victim", WindowsEntryKind::kWhiteout)}));
  ExpectRefused(s, "Files/j/victim");
  EXPECT_TRUE(fs::exists(f.host.Sub("victim")));
  f.ExpectNothingEscaped();
}

TEST(ImporterHostileTest, DiffLayerTombstoneOfAFolderDeletesItsJunctionNotTheTarget) {
  Fixture f;
  const std::string base = f.dir.Sub("base"), diff = f.dir.Sub("diff");
  ASSERT_TRUE(f.importer.ImportLayer(base, {}, Source({Entry("Files", WindowsEntryKind::kDirectory)})).ok());
  // A folder holding a junction (left in the layer folder, as an earlier
  // attempt could) is whited out: the tombstone removes the junction as
  // itself and never enters the host folder it points to.
  fs::create_directories(diff + "/Files/d");
  FakeLayerApi::CreateReparsePoint(diff + "/Files/d/j", f.host.path());
  ASSERT_TRUE(f.importer
                  .ImportLayer(diff, {base},
                               Source({Entry("Files", WindowsEntryKind::kDirectory),
                                       Entry("Files/d", WindowsEntryKind::kWhiteout)}))
                  .ok());
  EXPECT_FALSE(fs::exists(fs::symlink_status(diff + "/Files/d")));
  EXPECT_TRUE(fs::exists(f.host.Sub("victim")));
  f.ExpectNothingEscaped();
}

TEST(ImporterHostileTest, DiffLayerHardLinkBeneathJunctionIsRefused) {
  Fixture f;
  const std::string base = f.dir.Sub("base"), diff = f.dir.Sub("diff");
  ASSERT_TRUE(f.importer
                  .ImportLayer(base, {}, Source({Entry("Files", WindowsEntryKind::kDirectory),
                                                 Entry("Files/a.dll", WindowsEntryKind::kFile)}))
                  .ok());
  absl::Status s = f.importer.ImportLayer(
      diff, {base}, Source({Entry("Files", WindowsEntryKind::kDirectory), Link("Files/j", true),
                            Entry("Files/j/evil.dll", WindowsEntryKind::kHardLink, "Files/a.dll")}));
  ExpectRefused(s, "Files/j/evil.dll");
  EXPECT_FALSE(fs::exists(f.host.Sub("evil.dll")));
  f.ExpectNothingEscaped();
}

TEST(ImporterHostileTest, HardLinkToATargetBeneathJunctionIsRefused) {
  Fixture f;
  const std::string layer = f.dir.Sub("base");
  absl::Status s = f.importer.ImportLayer(
      layer, {}, Source({Entry("Files", WindowsEntryKind::kDirectory), Link("Files/j", true),
                         Entry("Files/stolen", WindowsEntryKind::kHardLink, "Files/j/victim")}));
  ExpectRefused(s, "Files/j/victim");
  EXPECT_FALSE(fs::exists(layer + "/Files/stolen"));
  f.ExpectNothingEscaped();
}

TEST(ImporterHostileTest, HardLinkToATargetOutsideTheLayerIsRefused) {
  Fixture f;
  const std::string layer = f.dir.Sub("base");
  Touch(f.dir.Sub("secret"));
  absl::Status s = f.importer.ImportLayer(
      layer, {}, Source({Entry("Files", WindowsEntryKind::kDirectory),
                         Entry("Files/stolen", WindowsEntryKind::kHardLink, "../secret")}));
  ExpectRefused(s, "../secret");
  EXPECT_FALSE(fs::exists(layer + "/Files/stolen"));
  f.ExpectNothingEscaped();
}

TEST(ImporterHostileTest, EntriesNamedOutsideTheLayerAreRefused) {
  for (const std::string name : {"../escaped", "Files/../../escaped", "/tmp/escaped-silo-absolute", "C:/escaped",
                                 "Files/a.dll:evil"}) {
    SCOPED_TRACE(name);
    Fixture f;
    const std::string layer = f.dir.Sub("base");
    absl::Status s = f.importer.ImportLayer(
        layer, {}, Source({Entry("Files", WindowsEntryKind::kDirectory), Entry("Files/a.dll", WindowsEntryKind::kFile),
                           Entry(name, WindowsEntryKind::kFile)}));
    ExpectRefused(s, name);
    EXPECT_FALSE(fs::exists(f.dir.Sub("escaped")));
    EXPECT_FALSE(fs::exists("/tmp/escaped-silo-absolute"));
    f.ExpectNothingEscaped();
  }
}

TEST(ImporterHostileTest, AlternateStreamNameOnAJunctionIsRefused) {
  Fixture f;
  const std::string layer = f.dir.Sub("base");
  absl::Status s = f.importer.ImportLayer(
      layer, {}, Source({Entry("Files", WindowsEntryKind::kDirectory), Link("Files/j", true),
                         Entry("Files/j:stream", WindowsEntryKind::kFile)}));
  ExpectRefused(s, "Files/j:stream");
  f.ExpectNothingEscaped();
}

TEST(ImporterHostileTest, UtilityVmThatIsAJunctionIsNotProcessed) {
  Fixture f;
  const std::string layer = f.dir.Sub("base");
  LayerSource src = Source({Entry("Files", WindowsEntryKind::kDirectory), Link("UtilityVM", true)});
  src.plan.has_utility_vm = true;
  absl::Status s = f.importer.ImportLayer(layer, {}, src);
  ExpectRefused(s, "UtilityVM");
  EXPECT_TRUE(f.fake.Calls(LayerCall::kProcessBaseImage).empty());
  EXPECT_TRUE(f.fake.Calls(LayerCall::kProcessUtilityImage).empty());
}

}  // namespace
}  // namespace silo::image::layers::wcifs
