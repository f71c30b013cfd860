// The Win32 file layer (file.h, file_util.h on Windows) against the real
// file system: a Windows executable run under Wine in CI (check harness of
// runtime/windows/testing/win_check.h).
#include <windows.h>
// windows.h maps ReplaceFile to ReplaceFileA; the tests call silo::ReplaceFile.
#undef ReplaceFile

#include <cstdio>
#include <string>

#include "runtime/base/file.h"
#include "runtime/base/file_util.h"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/testing/win_check.h"

namespace {

using silo::File;
using silo::windows_testing::RunWinTests;
using silo::windows_testing::WinTest;
#define CHECK(cond) SILO_WIN_CHECK(cond)

// A fresh directory under %TEMP% for one test.
std::string TempDir(const char* name) {
  wchar_t base[MAX_PATH + 1] = {};
  GetTempPathW(MAX_PATH, base);
  std::string dir = silo::win32::WideToUtf8(base) + "silo-file-test-" + std::to_string(GetCurrentProcessId()) + "-" + name;
  CHECK(silo::MakeDirs(dir).ok());
  return dir;
}

size_t CountEntries(const std::string& dir) {
  WIN32_FIND_DATAW data;
  HANDLE h = FindFirstFileW(silo::win32::Utf8ToWide(dir + "\\*").c_str(), &data);
  if (h == INVALID_HANDLE_VALUE) return 0;
  size_t n = 0;
  do {
    std::wstring name = data.cFileName;
    if (name != L"." && name != L"..") ++n;
  } while (FindNextFileW(h, &data));
  FindClose(h);
  return n;
}

void PositionalWritesAndReads() {
  const std::string path = TempDir("positional") + "\\data";
  auto f = File::Open(path, File::Access::kReadWriteCreate);
  CHECK(f.ok());
  if (!f.ok()) return;
  CHECK(f->WriteAt(0, "hello").ok());
  CHECK(f->WriteAt(5, " world").ok());
  CHECK(f->Sync().ok());
  CHECK(*f->Size() == 11);
  char buf[32] = {};
  auto n = f->ReadAt(6, buf, sizeof(buf));
  CHECK(n.ok() && *n == 5 && std::string(buf, *n) == "world");
  CHECK(f->Truncate(5).ok());
  CHECK(*f->Size() == 5);
  n = f->ReadAt(5, buf, sizeof(buf));
  CHECK(n.ok() && *n == 0);  // end of file is a short read, not an error
}

void OpenOfAMissingFileIsNotFound() {
  auto f = File::Open(TempDir("missing") + "\\nothing", File::Access::kRead);
  CHECK(absl::IsNotFound(f.status()));
  CHECK(absl::IsNotFound(silo::StatPath(TempDir("missing") + "\\nothing").status()));
}

void AtomicWriteReplacesAndLeavesNoTemporary() {
  const std::string dir = TempDir("atomic");
  const std::string path = dir + "\\config.json";
  CHECK(silo::AtomicWriteFile(path, "old").ok());
  CHECK(silo::AtomicWriteFile(path, "new content").ok());
  auto got = silo::ReadFile(path);
  CHECK(got.ok() && *got == "new content");
  CHECK(CountEntries(dir) == 1);
}

void ReplaceFileMovesOverAnExistingTarget() {
  const std::string dir = TempDir("replace");
  CHECK(silo::AtomicWriteFile(dir + "\\a", "from a").ok());
  CHECK(silo::AtomicWriteFile(dir + "\\b", "old b").ok());
  CHECK(silo::ReplaceFile(dir + "\\a", dir + "\\b").ok());
  CHECK(*silo::ReadFile(dir + "\\b") == "from a");
  CHECK(absl::IsNotFound(silo::StatPath(dir + "\\a").status()));
}

void ReadOnlyFilesCanStillBeRemoved() {
  const std::string path = TempDir("readonly") + "\\blob";
  CHECK(silo::AtomicWriteFile(path, "immutable").ok());
  CHECK(silo::SetReadOnly(path, true).ok());
  DWORD attrs = GetFileAttributesW(silo::win32::Utf8ToWide(path).c_str());
  CHECK(attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_READONLY) != 0);
  CHECK(silo::RemoveFile(path).ok());
  CHECK(absl::IsNotFound(silo::StatPath(path).status()));
  CHECK(absl::IsNotFound(silo::RemoveFile(path)));
}

void PathsLongerThanMaxPathWork() {
  std::string dir = TempDir("long");
  for (int i = 0; i < 12; ++i) dir += "\\a-directory-name-of-some-length";
  CHECK(dir.size() > 300);
  CHECK(silo::MakeDirs(dir).ok());
  const std::string path = dir + "/data.bin";  // forward slashes are normalised too
  CHECK(silo::AtomicWriteFile(path, "deep").ok());
  auto got = silo::ReadFile(path);
  CHECK(got.ok() && *got == "deep");
  auto info = silo::StatPath(dir);
  CHECK(info.ok() && info->is_directory);
}

void OpenReadersDoNotBlockRemoval() {
  const std::string path = TempDir("shared") + "\\blob";
  CHECK(silo::AtomicWriteFile(path, "still readable").ok());
  auto reader = File::Open(path, File::Access::kRead);
  CHECK(reader.ok());
  CHECK(silo::RemoveFile(path).ok());  // a reader holds FILE_SHARE_DELETE
  char buf[32] = {};
  auto n = reader->ReadAt(0, buf, sizeof(buf));
  CHECK(n.ok() && std::string(buf, *n) == "still readable");
}

void MakeDirsRefusesAFile() {
  const std::string path = TempDir("notdir") + "\\file";
  CHECK(silo::AtomicWriteFile(path, "x").ok());
  CHECK(!silo::MakeDirs(path).ok());
}

}  // namespace

int main() {
  static const WinTest tests[] = {
      {"PositionalWritesAndReads", PositionalWritesAndReads},
      {"OpenOfAMissingFileIsNotFound", OpenOfAMissingFileIsNotFound},
      {"AtomicWriteReplacesAndLeavesNoTemporary", AtomicWriteReplacesAndLeavesNoTemporary},
      {"ReplaceFileMovesOverAnExistingTarget", ReplaceFileMovesOverAnExistingTarget},
      {"ReadOnlyFilesCanStillBeRemoved", ReadOnlyFilesCanStillBeRemoved},
      {"PathsLongerThanMaxPathWork", PathsLongerThanMaxPathWork},
      {"OpenReadersDoNotBlockRemoval", OpenReadersDoNotBlockRemoval},
      {"MakeDirsRefusesAFile", MakeDirsRefusesAFile},
  };
  return RunWinTests(tests);
}
