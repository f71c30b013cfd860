#include "image/layers/wcifs/importer.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "image/layers/testing/temp_dir.h"
#include "image/layers/testing/windows_entry.h"
#include "image/layers/wcifs/fake_layer_api.h"
#include "image/layers/wcifs/transport.h"
#include "runtime/base/file_util.h"

namespace silo::image::layers::wcifs {
namespace {

using testing::Entry;
using testing::TempDir;

// An in-memory layer: each file's bytes are its path.
LayerSource Source(std::vector<WindowsEntry> entries) {
  LayerSource s;
  for (auto& e : entries) {
    if (e.kind == WindowsEntryKind::kFile) e.size = e.path.size();
    if (e.path.starts_with("Hives")) s.plan.has_hives = true;
    if (e.path.starts_with("UtilityVM")) s.plan.has_utility_vm = true;
  }
  s.plan.entries = std::move(entries);
  s.read = [plan = s.plan](size_t i, std::string* data, std::vector<AlternateStream>*) {
    *data = plan.entries[i].path;
    return absl::OkStatus();
  };
  return s;
}

LayerSource BaseSource() {
  return Source({Entry("Files", WindowsEntryKind::kDirectory), Entry("Files/a.dll", WindowsEntryKind::kFile),
                 Entry("Files/a2.dll", WindowsEntryKind::kHardLink, "Files/a.dll"),
                 Entry("Hives", WindowsEntryKind::kDirectory), Entry("Hives/System_Base", WindowsEntryKind::kFile),
                 Entry("UtilityVM", WindowsEntryKind::kDirectory)});
}

std::string Slurp(const std::string& path) {
  auto s = ReadFile(path);
  return s.ok() ? *s : "<missing " + path + ">";
}

Importer MakeImporter(FakeLayerApi& fake, const TempDir& dir) {
  return Importer(LayerCalls(fake.api()), ImporterOptions{dir.Sub("staging"), false});
}

TEST(ImporterTest, BaseLayerIsBackupWrittenThenProcessed) {
  FakeLayerApi fake;
  TempDir dir;
  Importer importer = MakeImporter(fake, dir);
  const std::string base = dir.Sub("base");
  LayerSource src = BaseSource();
  ASSERT_TRUE(importer.ImportLayer(base, {}, src).ok());

  // The file holds its backup stream (the fake writes streams verbatim).
  auto stream = EncodeBackupStream(src.plan.entries[1], "Files/a.dll");
  ASSERT_TRUE(stream.ok());
  EXPECT_EQ(Slurp(base + "/Files/a.dll"), *stream);
  EXPECT_TRUE(std::filesystem::equivalent(base + "/Files/a.dll", base + "/Files/a2.dll"));
  EXPECT_EQ(Slurp(base + "/layerchain.json"), "[]");

  const auto writes = fake.Calls(LayerCall::kBackupWriteFile);
  ASSERT_EQ(writes.size(), 5u);
  for (const auto& w : writes) {
    EXPECT_TRUE(w.privileged) << w.path;
    EXPECT_EQ(w.arg, "security");
  }
  const auto base_calls = fake.Calls(LayerCall::kProcessBaseImage);
  ASSERT_EQ(base_calls.size(), 1u);
  EXPECT_EQ(base_calls[0].path, base);
  EXPECT_TRUE(base_calls[0].privileged);
  ASSERT_EQ(fake.Calls(LayerCall::kProcessUtilityImage).size(), 1u);
  EXPECT_EQ(fake.Calls(LayerCall::kProcessUtilityImage)[0].path, base + "/UtilityVM");
  // Privileges named and reverted.
  ASSERT_EQ(fake.Calls(LayerCall::kEnableThreadPrivileges).size(), 1u);
  EXPECT_EQ(fake.Calls(LayerCall::kEnableThreadPrivileges)[0].arg,
            "SeBackupPrivilege,SeRestorePrivilege,SeSecurityPrivilege");
  EXPECT_EQ(fake.Calls(LayerCall::kRevertToSelf).size(), 1u);

  // Complete layers are not imported twice.
  ASSERT_TRUE(importer.ImportLayer(base, {}, src).ok());
  EXPECT_EQ(fake.Calls(LayerCall::kProcessBaseImage).size(), 1u);
}

TEST(ImporterTest, DiffLayerStagesTransportFolderAndAppliesPostSteps) {
  FakeLayerApi fake;
  TempDir dir;
  Importer importer = MakeImporter(fake, dir);
  const std::string base = dir.Sub("base"), diff = dir.Sub("diff");
  ASSERT_TRUE(importer.ImportLayer(base, {}, BaseSource()).ok());

  // The parent's file is whited out by a tombstone in the diff (the fake
  // import copies it into the diff so the tombstone has something to remove).
  LayerSource src = Source({Entry("Files", WindowsEntryKind::kDirectory), Entry("Files/new.txt", WindowsEntryKind::kFile),
                            Entry("Files/gone.txt", WindowsEntryKind::kFile),
                            Entry("Files/gone.txt", WindowsEntryKind::kWhiteout),
                            Entry("Files/link.dll", WindowsEntryKind::kHardLink, "Files/a.dll"),
                            Entry("Hives/Software_Delta", WindowsEntryKind::kFile)});
  std::string staged_new;
  fake.SetHook(LayerCall::kImportLayer, [&](const FakeLayerCall& c) { staged_new = Slurp(c.arg + "/Files/new.txt"); });
  ASSERT_TRUE(importer.ImportLayer(diff, {base}, src).ok());

  const auto imports = fake.Calls(LayerCall::kImportLayer);
  ASSERT_EQ(imports.size(), 1u);
  EXPECT_EQ(imports[0].path, diff);
  EXPECT_EQ(imports[0].parents, std::vector<std::string>{base});
  EXPECT_TRUE(imports[0].privileged);
  auto transport = EncodeTransportFile(src.plan.entries[1], "Files/new.txt");
  ASSERT_TRUE(transport.ok());
  EXPECT_EQ(staged_new, *transport);
  EXPECT_FALSE(std::filesystem::exists(imports[0].arg)) << "staging folder left behind";

  EXPECT_FALSE(std::filesystem::exists(diff + "/Files/gone.txt"));
  EXPECT_TRUE(std::filesystem::equivalent(diff + "/Files/link.dll", base + "/Files/a.dll"));
  EXPECT_EQ(Slurp(diff + "/layerchain.json"), "[\"" + base + "\"]");
  // Hive: BackupWrite without security into the staging folder.
  bool hive_written = false;
  for (const auto& w : fake.Calls(LayerCall::kBackupWriteFile)) {
    if (w.path.ends_with("/Hives/Software_Delta")) hive_written = w.arg.empty();
  }
  EXPECT_TRUE(hive_written);
  // Directory times re-applied to the layer after the import.
  bool retimed = false;
  for (const auto& c : fake.Calls(LayerCall::kSetFileBasicInfo)) {
    if (c.path == diff + "/Files") retimed = c.begin_seq > imports[0].end_seq && c.info.file_attributes == 0x10;
  }
  EXPECT_TRUE(retimed);
}

TEST(ImporterTest, ComputeStorageImportCarriesParentsAsLayerData) {
  FakeLayerApi fake;
  TempDir dir;
  Importer importer(LayerCalls(fake.api()), ImporterOptions{dir.Sub("staging"), true});
  const std::string base = dir.Sub("base"), diff = dir.Sub("diff");
  ASSERT_TRUE(importer.ImportLayer(base, {}, BaseSource()).ok());
  ASSERT_TRUE(importer.ImportLayer(diff, {base}, Source({Entry("Files/x", WindowsEntryKind::kFile)})).ok());
  const auto imports = fake.Calls(LayerCall::kHcsImportLayer);
  ASSERT_EQ(imports.size(), 1u);
  // A Windows path in the layer data too (JSON-escaped backslashes).
  EXPECT_NE(imports[0].arg.find("\"Path\":" + nlohmann::json(WindowsPath(base)).dump()), std::string::npos)
      << imports[0].arg;
  EXPECT_NE(imports[0].arg.find("\"PathType\":\"AbsolutePath\""), std::string::npos);
  EXPECT_TRUE(fake.Calls(LayerCall::kImportLayer).empty());
}

TEST(ImporterTest, TenLayerImageStagesInParallelAndImportsInChainOrder) {
  FakeLayerApi fake;
  TempDir dir;
  Importer importer = MakeImporter(fake, dir);
  std::vector<std::string> paths;
  std::vector<LayerSource> sources;
  sources.push_back(BaseSource());
  paths.push_back(dir.Sub("layer0"));
  for (int i = 1; i < 10; ++i) {
    paths.push_back(dir.Sub("layer" + std::to_string(i)));
    sources.push_back(Source({Entry("Files/f" + std::to_string(i), WindowsEntryKind::kFile)}));
  }
  // Hold the first diff import until every diff layer has staged its file:
  // a serial importer would never stage layer 9 first, and the wait fails.
  bool all_staged_before_first_import = false;
  fake.SetHook(LayerCall::kImportLayer, [&](const FakeLayerCall& c) {
    if (c.path != paths[1]) return;
    all_staged_before_first_import = fake.WaitFor(
        [&](const std::vector<FakeLayerCall>& calls) {
          int staged = 0;
          for (const auto& k : calls) staged += k.call == LayerCall::kSetFileBasicInfo && k.path.find("stage-") != std::string::npos &&
                    k.path.find("/Files/f") != std::string::npos;
          return staged == 9;
        },
        std::chrono::seconds(20));
  });
  ASSERT_TRUE(importer.ImportImage(paths, sources).ok());
  EXPECT_TRUE(all_staged_before_first_import);

  const auto imports = fake.Calls(LayerCall::kImportLayer);
  ASSERT_EQ(imports.size(), 9u);
  const auto base_done = fake.Calls(LayerCall::kProcessBaseImage).at(0).end_seq;
  for (size_t i = 0; i < imports.size(); ++i) {
    EXPECT_EQ(imports[i].path, paths[i + 1]);
    EXPECT_EQ(imports[i].parents.size(), i + 1);
    EXPECT_EQ(imports[i].parents.front(), paths[i]);    // nearest parent first
    EXPECT_EQ(imports[i].parents.back(), paths[0]);     // base last
    EXPECT_GT(imports[i].begin_seq, i == 0 ? base_done : imports[i - 1].end_seq);
  }
  EXPECT_EQ(fake.max_concurrent_imports(), 1);
  // Several importing threads, each privileged.
  std::set<std::thread::id> threads;
  for (const auto& c : fake.Calls(LayerCall::kEnableThreadPrivileges)) threads.insert(c.thread);
  EXPECT_EQ(threads.size(), 10u);
}

TEST(ImporterTest, ConcurrentPullsOfOneImageShareTheImports) {
  FakeLayerApi fake;
  TempDir dir;
  Importer importer = MakeImporter(fake, dir);
  std::vector<std::string> paths = {dir.Sub("b"), dir.Sub("d1"), dir.Sub("d2")};
  std::vector<LayerSource> sources = {BaseSource(), Source({Entry("Files/1", WindowsEntryKind::kFile)}),
                                      Source({Entry("Files/2", WindowsEntryKind::kFile)})};
  absl::Status s1, s2;
  std::thread a([&] { s1 = importer.ImportImage(paths, sources); });
  std::thread b([&] { s2 = importer.ImportImage(paths, sources); });
  a.join();
  b.join();
  ASSERT_TRUE(s1.ok()) << s1;
  ASSERT_TRUE(s2.ok()) << s2;
  EXPECT_EQ(fake.Calls(LayerCall::kProcessBaseImage).size(), 1u);
  EXPECT_EQ(fake.Calls(LayerCall::kImportLayer).size(), 2u);
}

TEST(ImporterTest, FailedParentAbortsTheChildrenAndLeavesNoMarker) {
  FakeLayerApi fake;
  TempDir dir;
  Importer importer = MakeImporter(fake, dir);
  fake.Inject(LayerCall::kImportLayer, 0x80070005);
  std::vector<std::string> paths = {dir.Sub("b"), dir.Sub("d1"), dir.Sub("d2")};
  std::vector<LayerSource> sources = {BaseSource(), Source({Entry("Files/1", WindowsEntryKind::kFile)}),
                                      Source({Entry("Files/2", WindowsEntryKind::kFile)})};
  absl::Status s = importer.ImportImage(paths, sources);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_NE(s.message().find(paths[1]), absl::string_view::npos);
  EXPECT_EQ(fake.Calls(LayerCall::kImportLayer).size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(paths[1] + "/" + kImportedMarker));
  EXPECT_TRUE(std::filesystem::exists(paths[0] + "/" + kImportedMarker));
  EXPECT_TRUE(std::filesystem::is_empty(dir.Sub("staging")));
  EXPECT_EQ(fake.Calls(LayerCall::kEnableThreadPrivileges).size(), fake.Calls(LayerCall::kRevertToSelf).size());
}

// Every file and folder under `root`, relative, sorted ("/" separated).
std::vector<std::string> Tree(const std::string& root) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    out.push_back(std::filesystem::relative(e.path(), root).generic_string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ImporterTest, BaseLayerThatFailedMidwayIsReimportedFromAnEmptyFolder) {
  FakeLayerApi fake;
  TempDir dir;
  Importer importer = MakeImporter(fake, dir);
  const std::string base = dir.Sub("base");
  LayerSource src = BaseSource();
  // The third BackupWrite fails (a disk error, a broken download): "Files"
  // and "Files/a.dll" are already written.
  int writes = 0;
  fake.SetHook(LayerCall::kBackupWriteFile, [&](const FakeLayerCall&) {
    if (++writes == 3) fake.Inject(LayerCall::kBackupWriteFile, 0x8007001F);  // ERROR_GEN_FAILURE
  });
  ASSERT_FALSE(importer.ImportLayer(base, {}, src).ok());
  fake.SetHook(LayerCall::kBackupWriteFile, nullptr);
  ASSERT_TRUE(std::filesystem::exists(base + "/Files/a.dll"));
  ASSERT_FALSE(std::filesystem::exists(base + "/" + kImportedMarker));
  // Debris the retry must not keep, whatever wrote it.
  ASSERT_TRUE(AtomicWriteFile(base + "/Files/stale.tmp", "x").ok());

  // Without the removal the retry's FILE_CREATE of Files/a.dll collides.
  const absl::Status retry = importer.ImportLayer(base, {}, src);
  ASSERT_TRUE(retry.ok()) << retry;
  EXPECT_EQ(Tree(base), (std::vector<std::string>{".silo-imported", "Files", "Files/a.dll", "Files/a2.dll", "Hives",
                                                  "Hives/System_Base", "UtilityVM", "layerchain.json"}));
  auto stream = EncodeBackupStream(src.plan.entries[1], "Files/a.dll");
  ASSERT_TRUE(stream.ok());
  EXPECT_EQ(Slurp(base + "/Files/a.dll"), *stream);
  EXPECT_EQ(fake.Calls(LayerCall::kProcessBaseImage).size(), 1u);
  // The folder went through the relative remove, rooted at its parent.
  bool removed = false;
  for (const auto& c : fake.Calls(LayerCall::kRemoveAll)) {
    if (c.root == dir.path() && c.rel == "base" && c.privileged && c.hr == 0) removed = true;
  }
  EXPECT_TRUE(removed);
}

TEST(ImporterTest, StartupSweepRemovesIncompleteLayersAndKeepsCompleteOnes) {
  FakeLayerApi fake;
  TempDir dir;
  Importer importer = MakeImporter(fake, dir);
  const std::string root = dir.Sub("layers");
  ASSERT_TRUE(MakeDirs(root).ok());
  const std::string complete = root + "/complete";
  ASSERT_TRUE(importer.ImportLayer(complete, {}, BaseSource()).ok());
  const std::vector<std::string> complete_tree = Tree(complete);

  // A crash mid-import left a folder without the marker, holding a link to
  // a host folder that must survive the removal, and a staging folder.
  const std::string outside = dir.Sub("outside");
  ASSERT_TRUE(MakeDirs(outside).ok());
  ASSERT_TRUE(AtomicWriteFile(outside + "/keep", "k").ok());
  const std::string broken = root + "/broken";
  ASSERT_TRUE(MakeDirs(broken + "/Files").ok());
  ASSERT_TRUE(AtomicWriteFile(broken + "/Files/a.dll", "partial").ok());
  FakeLayerApi::CreateReparsePoint(broken + "/Files/j", outside);
  ASSERT_TRUE(MakeDirs(dir.Sub("staging") + "/stage-old/Files").ok());

  const size_t removes_before = fake.Calls(LayerCall::kRemoveAll).size();
  const absl::Status swept = importer.RemoveIncomplete(root);
  ASSERT_TRUE(swept.ok()) << swept;
  EXPECT_FALSE(std::filesystem::exists(broken));
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("staging") + "/stage-old"));
  EXPECT_EQ(Tree(complete), complete_tree);
  EXPECT_EQ(Slurp(outside + "/keep"), "k");
  const auto removes = fake.Calls(LayerCall::kRemoveAll);
  for (size_t i = removes_before; i < removes.size(); ++i) {
    EXPECT_TRUE(removes[i].privileged) << removes[i].path;
    EXPECT_NE(removes[i].rel, "complete");
  }
  // A sweep of a root that does not exist yet (first start) is fine.
  EXPECT_TRUE(importer.RemoveIncomplete(dir.Sub("missing")).ok());
}

}  // namespace
}  // namespace silo::image::layers::wcifs
