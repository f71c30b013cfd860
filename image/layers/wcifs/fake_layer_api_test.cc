// The fake's relative primitives are only worth testing against if they
// refuse what the Win32 ones refuse: names relative_path.h rejects, and a
// reparse point anywhere but the last component; and act on a last-
// component reparse point as the link itself.
#include "image/layers/wcifs/fake_layer_api.h"

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "image/layers/testing/temp_dir.h"
#include "image/layers/wcifs/backup_stream.h"
#include "image/layers/wcifs/layer_calls.h"
#include "image/layers/wcifs/relative_path.h"
#include "runtime/base/windows/wide.h"

namespace silo::image::layers::wcifs {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

struct Layer {
  Layer() {
    fake.SetReparseTarget(host.path());
    std::ofstream(host.Sub("victim")) << "host";
    FakeLayerApi::CreateReparsePoint(dir.Sub("j"), host.path());
    std::ofstream(dir.Sub("file")) << "layer";
  }
  std::wstring root() const { return silo::win32::Utf8ToWide(WindowsPath(dir.path())); }
  FakeLayerApi fake;
  TempDir dir, host;
  FileBasicInfo file_info{0, 0, 0, 0, 0x20, 0};
  FileBasicInfo dir_info{0, 0, 0, 0, 0x10, 0};
};

TEST(FakeLayerApiTest, RelativeCallsRefuseNamesOutsideTheRoot) {
  Layer l;
  const LayerApi& api = *l.fake.api();
  for (const wchar_t* name : {L"", L"/x", L"\\x", L"\\\\srv\\x", L"C:x", L"file:stream", L"../silo-fake-escape",
                              L"a/../x",
                              L"..", L". ", L"a/...", L"x*", L"a//x", L"x/", L"x\x01"}) {
    SCOPED_TRACE(std::wstring(name).size());
    EXPECT_EQ(api.backup_write_relative(l.root().c_str(), name, &l.file_info, nullptr, 0, false),
              kHrInvalidRelativePath);
    EXPECT_EQ(api.mkdir_relative(l.root().c_str(), name), kHrInvalidRelativePath);
    EXPECT_EQ(api.remove_all_relative(l.root().c_str(), name), kHrInvalidRelativePath);
    EXPECT_EQ(api.link_relative(l.root().c_str(), L"file", l.root().c_str(), name), kHrInvalidRelativePath);
    EXPECT_EQ(api.link_relative(l.root().c_str(), name, l.root().c_str(), L"new"), kHrInvalidRelativePath);
  }
  EXPECT_FALSE(fs::exists(l.dir.path() + "/../silo-fake-escape"));
}

TEST(FakeLayerApiTest, ReparsePointBelowTheRootIsRefusedByEveryCall) {
  Layer l;
  const LayerApi& api = *l.fake.api();
  const std::wstring root = l.root();
  uint32_t attributes = 0;
  EXPECT_EQ(api.backup_write_relative(root.c_str(), L"j/x", &l.file_info, nullptr, 0, true),
            kHrReparsePointEncountered);
  EXPECT_EQ(api.backup_write_relative(root.c_str(), L"J/x", &l.file_info, nullptr, 0, true),
            kHrReparsePointEncountered);  // names match case-insensitively, as on Windows
  EXPECT_EQ(api.set_file_basic_info_relative(root.c_str(), L"j/victim", &l.file_info), kHrReparsePointEncountered);
  EXPECT_EQ(api.mkdir_relative(root.c_str(), L"j/d"), kHrReparsePointEncountered);
  EXPECT_EQ(api.lstat_relative(root.c_str(), L"j/victim", &attributes), kHrReparsePointEncountered);
  EXPECT_EQ(api.remove_all_relative(root.c_str(), L"j/victim"), kHrReparsePointEncountered);
  EXPECT_EQ(api.link_relative(root.c_str(), L"file", root.c_str(), L"j/new"), kHrReparsePointEncountered);
  EXPECT_EQ(api.link_relative(root.c_str(), L"j/victim", root.c_str(), L"new"), kHrReparsePointEncountered);
  EXPECT_TRUE(fs::exists(l.host.Sub("victim")));
  EXPECT_FALSE(fs::exists(l.host.Sub("x")));
  EXPECT_FALSE(fs::exists(l.host.Sub("d")));
  EXPECT_FALSE(fs::exists(l.host.Sub("new")));
}

TEST(FakeLayerApiTest, LastComponentReparsePointIsTheLinkItself) {
  Layer l;
  const LayerApi& api = *l.fake.api();
  const std::wstring root = l.root();
  uint32_t attributes = 0;
  EXPECT_EQ(api.lstat_relative(root.c_str(), L"j", &attributes), 0u);
  EXPECT_EQ(attributes, 0x410u);
  EXPECT_EQ(api.mkdir_relative(root.c_str(), L"j"), kHrReparsePointEncountered);
  EXPECT_EQ(api.link_relative(root.c_str(), L"j", root.c_str(), L"new"), kHrReparsePointEncountered);
  EXPECT_EQ(api.backup_write_relative(root.c_str(), L"j", &l.file_info, nullptr, 0, false), 0x800700B7u);
  // A directory entry never writes its streams or security into the link.
  EXPECT_EQ(api.backup_write_relative(root.c_str(), L"j", &l.dir_info, nullptr, 0, true),
            kHrReparsePointEncountered);
  // A junction is a directory: a hard link never replaces it.
  EXPECT_EQ(api.link_relative(root.c_str(), L"file", root.c_str(), L"j"), 0x80070005u);
  EXPECT_TRUE(fs::is_symlink(l.dir.Sub("j")));
  EXPECT_EQ(api.remove_all_relative(root.c_str(), L"j"), 0u);
  EXPECT_FALSE(fs::exists(fs::symlink_status(l.dir.Sub("j"))));
  EXPECT_TRUE(fs::exists(l.host.Sub("victim")));
}

TEST(FakeLayerApiTest, BackupWriteOfReparseDataCreatesAReparsePoint) {
  Layer l;
  WindowsEntry e;
  e.path = "Files/junction";
  e.kind = WindowsEntryKind::kSymlink;
  e.link_target = "C:\\Windows";
  e.mount_point = true;
  e.attributes = 0x410;
  auto stream = EncodeBackupStream(e, "");
  ASSERT_TRUE(stream.ok()) << stream.status();
  FileBasicInfo info{0, 0, 0, 0, 0x410, 0};
  ASSERT_EQ(l.fake.api()->backup_write_relative(l.root().c_str(), L"junction", &info,
                                                reinterpret_cast<const uint8_t*>(stream->data()), stream->size(),
                                                true),
            0u);
  EXPECT_TRUE(fs::is_symlink(l.dir.Sub("junction")));
  EXPECT_EQ(l.fake.api()->mkdir_relative(l.root().c_str(), L"junction/x"), kHrReparsePointEncountered);
}

TEST(FakeLayerApiTest, MissingParentsAreNotCreated) {
  Layer l;
  EXPECT_EQ(l.fake.api()->mkdir_relative(l.root().c_str(), L"a/b"), 0x80070003u);
  EXPECT_EQ(l.fake.api()->remove_all_relative(l.root().c_str(), L"a/b"), 0u);
  EXPECT_FALSE(fs::exists(l.dir.Sub("a")));
}

}  // namespace
}  // namespace silo::image::layers::wcifs

namespace silo::image::layers::wcifs {
namespace {

// The lifecycle calls refuse what vmcompute refuses, so a store that calls
// them out of order fails its tests instead of passing against the fake.
TEST(FakeLayerApiTest, LayerLifecycleIsStrict) {
  FakeLayerApi fake;
  TempDir dir;
  const LayerApi& api = *fake.api();
  const DriverInfo info{kFilterDriverFlavour, L""};
  const std::string base = dir.Sub("base"), scratch = dir.Sub("scratch");
  fs::create_directories(base);
  const std::wstring wbase = silo::win32::Utf8ToWide(WindowsPath(base));
  const std::wstring wscratch = silo::win32::Utf8ToWide(WindowsPath(scratch));
  const std::wstring wmissing = L"\\nonexistent\\layer";
  LayerDescriptor parent{{}, 0, wbase.c_str()};
  LayerDescriptor missing_parent{{}, 0, wmissing.c_str()};
  constexpr uint32_t kPathNotFound = 0x80070003, kInvalidState = 0x8007139F, kBusy = 0x800700AA;

  // Unknown ids: the scratch folder, a parent, a layer to destroy.
  EXPECT_EQ(api.create_sandbox_layer(&info, wscratch.c_str(), nullptr, &parent, 1), kPathNotFound);
  fs::create_directories(scratch);
  EXPECT_EQ(api.create_sandbox_layer(&info, wscratch.c_str(), nullptr, &missing_parent, 1), kPathNotFound);
  EXPECT_EQ(api.activate_layer(&info, wscratch.c_str()), kPathNotFound);  // no sandbox.vhdx yet
  EXPECT_EQ(api.destroy_layer(&info, wmissing.c_str()), kPathNotFound);
  ASSERT_EQ(api.create_sandbox_layer(&info, wscratch.c_str(), nullptr, &parent, 1), 0u);
  EXPECT_EQ(api.create_sandbox_layer(&info, wscratch.c_str(), nullptr, &parent, 1), 0x80070050u);  // exists

  // Prepare needs an activated scratch; activation happens once.
  EXPECT_EQ(api.prepare_layer(&info, wscratch.c_str(), &parent, 1), kInvalidState);
  ASSERT_EQ(api.activate_layer(&info, wscratch.c_str()), 0u);
  EXPECT_EQ(api.activate_layer(&info, wscratch.c_str()), kInvalidState);
  EXPECT_EQ(api.prepare_layer(&info, wscratch.c_str(), &missing_parent, 1), kPathNotFound);
  ASSERT_EQ(api.prepare_layer(&info, wscratch.c_str(), &parent, 1), 0u);
  EXPECT_EQ(api.prepare_layer(&info, wscratch.c_str(), &parent, 1), kInvalidState);

  // No destroy or deactivate under a prepared layer; no double release.
  EXPECT_EQ(api.destroy_layer(&info, wscratch.c_str()), kBusy);
  EXPECT_EQ(api.hcs_destroy_layer(wscratch.c_str()), kBusy);
  EXPECT_EQ(api.deactivate_layer(&info, wscratch.c_str()), kBusy);
  ASSERT_EQ(api.unprepare_layer(&info, wscratch.c_str()), 0u);
  EXPECT_EQ(api.unprepare_layer(&info, wscratch.c_str()), kInvalidState);
  EXPECT_EQ(api.destroy_layer(&info, wscratch.c_str()), kBusy);  // still activated
  ASSERT_EQ(api.deactivate_layer(&info, wscratch.c_str()), 0u);
  EXPECT_EQ(api.deactivate_layer(&info, wscratch.c_str()), kInvalidState);
  ASSERT_EQ(api.destroy_layer(&info, wscratch.c_str()), 0u);
  EXPECT_FALSE(fs::exists(scratch));
  EXPECT_TRUE(fake.Activated().empty() && fake.Prepared().empty());

  // Every call was recorded in order, refusals included.
  std::vector<LayerCall> order;
  for (const FakeLayerCall& c : fake.Calls()) {
    if (c.call != LayerCall::kNameToGuid) order.push_back(c.call);
  }
  ASSERT_GE(order.size(), 4u);
  EXPECT_EQ(order.front(), LayerCall::kCreateSandboxLayer);
  EXPECT_EQ(order.back(), LayerCall::kDestroyLayer);

  EXPECT_EQ(fake.Calls(LayerCall::kPrepareLayer).size(), 4u);

  // A path with '/' is not a Windows path: refused before anything happens.
  fs::create_directories(scratch);
  ASSERT_EQ(api.create_sandbox_layer(&info, wscratch.c_str(), nullptr, &parent, 1), 0u);
  const std::wstring wslashed(scratch.begin(), scratch.end());
  EXPECT_EQ(api.activate_layer(&info, wslashed.c_str()), 0x80070057u);
  EXPECT_TRUE(fake.Activated().empty());
  LayerDescriptor slashed_parent{{}, 0, wslashed.c_str()};
  EXPECT_EQ(api.prepare_layer(&info, wscratch.c_str(), &slashed_parent, 1), 0x80070057u);
}

}  // namespace
}  // namespace silo::image::layers::wcifs
