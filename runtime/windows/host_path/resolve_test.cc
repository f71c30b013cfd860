// Host-path resolution against the fake file namespace: links and junctions
// followed, the volume GUID form preferred, shares in UNC form, every handle
// closed.
#include "runtime/windows/host_path/resolve.h"

#include "gtest/gtest.h"
#include "runtime/windows/host_path/fake/fake_host_path_api.h"

namespace silo::runtime::windows::host_path {
namespace {

using fake::FakeHostPathApi;
using silo::win32::HrStatus;

constexpr wchar_t kC[] = L"{4c1b1ff0-8a3f-4c1a-9d9a-1234567890ab}";
constexpr wchar_t kD[] = L"{9e2d7a11-0000-4000-8000-00000000000d}";

class ResolveHostPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.AddVolume(L"C:", kC);
    fake_.AddVolume(L"D:", kD);
  }
  void TearDown() override {
    EXPECT_EQ(fake_.open_handles(), 0);
    EXPECT_EQ(fake_.bad_closes(), 0);
  }
  std::wstring Resolve(const std::wstring& path) {
    win32::Result<std::wstring> r = ResolveHostPath(fake_.api(), path);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::wstring();
  }
  FakeHostPathApi fake_;
};

TEST_F(ResolveHostPathTest, PlainPathsBecomeVolumeGuidPaths) {
  fake_.AddPath(L"C:\\var\\lib\\kubelet\\pods\\p1\\volumes\\cfg");
  EXPECT_EQ(Resolve(L"C:\\var\\lib\\kubelet\\pods\\p1\\volumes\\cfg"),
            std::wstring(L"\\\\?\\Volume") + kC + L"\\var\\lib\\kubelet\\pods\\p1\\volumes\\cfg");
  // Case as created on disk, whatever the caller typed; \\?\ and a trailing slash accepted.
  EXPECT_EQ(Resolve(L"\\\\?\\c:\\VAR\\lib\\kubelet\\pods\\p1\\volumes\\CFG\\"),
            std::wstring(L"\\\\?\\Volume") + kC + L"\\var\\lib\\kubelet\\pods\\p1\\volumes\\cfg");
}

TEST_F(ResolveHostPathTest, SymlinksAndJunctionsAreFollowed) {
  fake_.AddPath(L"D:\\real\\data\\config.yaml");
  fake_.AddLink(L"C:\\link", L"D:\\real");              // a junction to another volume
  fake_.AddLink(L"C:\\cfg.yaml", L"C:\\link\\data\\config.yaml");  // a file symlink through it
  EXPECT_EQ(Resolve(L"C:\\link\\data"), std::wstring(L"\\\\?\\Volume") + kD + L"\\real\\data");
  EXPECT_EQ(Resolve(L"C:\\cfg.yaml"), std::wstring(L"\\\\?\\Volume") + kD + L"\\real\\data\\config.yaml");
}

TEST_F(ResolveHostPathTest, SharesKeepTheirUncForm) {
  fake_.AddShare(L"\\\\fs1\\configs");
  fake_.AddPath(L"\\\\fs1\\configs\\app");
  fake_.AddLink(L"C:\\mnt\\configs", L"\\\\fs1\\configs");
  EXPECT_EQ(Resolve(L"\\\\fs1\\configs\\app"), L"\\\\fs1\\configs\\app");
  EXPECT_EQ(Resolve(L"C:\\mnt\\configs\\app"), L"\\\\fs1\\configs\\app");
}

TEST_F(ResolveHostPathTest, LongFinalNamesGrowTheBuffer) {
  const std::wstring deep = L"C:\\" + std::wstring(200, L'd') + L"\\" + std::wstring(200, L'e');
  fake_.AddPath(deep);
  EXPECT_EQ(Resolve(deep), std::wstring(L"\\\\?\\Volume") + kC + deep.substr(2));
}

TEST_F(ResolveHostPathTest, MissingAndRelativePathsFailNamingThePath) {
  fake_.AddPath(L"C:\\data");
  win32::Result<std::wstring> leaf = ResolveHostPath(fake_.api(), L"C:\\data\\missing");
  ASSERT_FALSE(leaf.ok());
  EXPECT_EQ(leaf.status().hr(), 0x80070002u);  // ERROR_FILE_NOT_FOUND
  EXPECT_NE(leaf.status().message().find("CreateFileW \"C:\\data\\missing\""), std::string::npos)
      << leaf.status().message();
  win32::Result<std::wstring> parent = ResolveHostPath(fake_.api(), L"C:\\nope\\missing");
  ASSERT_FALSE(parent.ok());
  EXPECT_EQ(parent.status().hr(), 0x80070003u);  // ERROR_PATH_NOT_FOUND
  win32::Result<std::wstring> relative = ResolveHostPath(fake_.api(), L"data");
  ASSERT_FALSE(relative.ok());
  EXPECT_EQ(relative.status().hr(), 0x8007007Bu);  // ERROR_INVALID_NAME
  fake_.AddLink(L"C:\\loop", L"C:\\loop");
  win32::Result<std::wstring> loop = ResolveHostPath(fake_.api(), L"C:\\loop");
  ASSERT_FALSE(loop.ok());
  EXPECT_EQ(loop.status().hr(), 0x80070781u);  // ERROR_CANT_RESOLVE_FILENAME
}

// The fake answers what Win32 answers: forward slashes are separators and
// FILE_NAME_NORMALIZED is a valid flag.
TEST_F(ResolveHostPathTest, FakeAcceptsForwardSlashesAndNormalizedNames) {
  fake_.AddPath(L"C:\\data\\cfg");
  EXPECT_EQ(Resolve(L"C:/data/cfg"), std::wstring(L"\\\\?\\Volume") + kC + L"\\data\\cfg");
  void* h = nullptr;
  ASSERT_EQ(fake_.api().open_existing(L"C:\\data\\cfg", &h), 0u);
  wchar_t buffer[128] = {};
  uint32_t error = 0;
  const uint32_t n =
      fake_.api().get_final_path_name_by_handle(h, buffer, 128, kFileNameNormalized | kVolumeNameDos, &error);
  EXPECT_EQ(std::wstring(buffer, n), L"\\\\?\\C:\\data\\cfg") << error;
  EXPECT_EQ(fake_.api().get_final_path_name_by_handle(h, buffer, 128, 0x10, &error), 0u);  // not a valid flag
  EXPECT_EQ(error, kErrorInvalidParameter);
  EXPECT_EQ(fake_.api().close_handle(h), 1);
}

TEST_F(ResolveHostPathTest, CreateHostDirectoriesMakesEveryMissingParent) {
  fake_.AddPath(L"C:\\var");
  ASSERT_TRUE(CreateHostDirectories(fake_.api(), L"C:\\var\\lib\\kubelet\\pods\\p1").ok());
  EXPECT_EQ(fake_.directories_created(), 4);  // lib, kubelet, pods, p1
  EXPECT_EQ(Resolve(L"C:\\var\\lib\\kubelet\\pods\\p1"),
            std::wstring(L"\\\\?\\Volume") + kC + L"\\var\\lib\\kubelet\\pods\\p1");
  // Already there: nothing to do, as os.MkdirAll.
  ASSERT_TRUE(CreateHostDirectories(fake_.api(), L"C:\\var\\lib").ok());
  EXPECT_EQ(fake_.directories_created(), 4);  // lib, kubelet, pods, p1
  // Through a link: the directory appears at its target.
  fake_.AddPath(L"D:\\real");
  fake_.AddLink(L"C:\\link", L"D:\\real");
  ASSERT_TRUE(CreateHostDirectories(fake_.api(), L"C:\\link\\new").ok());
  EXPECT_TRUE(fake_.Exists(L"D:\\real\\new"));
}

TEST_F(ResolveHostPathTest, CreateHostDirectoriesFailsWithoutAVolumeNamingThePath) {
  HrStatus s = CreateHostDirectories(fake_.api(), L"Q:\\nowhere\\dir");
  EXPECT_EQ(s.hr(), 0x80070003u);  // ERROR_PATH_NOT_FOUND: no Q: volume
  EXPECT_NE(s.message().find("CreateDirectoryW \"Q:\\nowhere"), std::string::npos) << s.message();
  EXPECT_EQ(fake_.directories_created(), 0);
  HrStatus relative = CreateHostDirectories(fake_.api(), L"data\\x");
  EXPECT_EQ(relative.hr(), 0x8007007Bu);  // ERROR_INVALID_NAME
}

}  // namespace
}  // namespace silo::runtime::windows::host_path
