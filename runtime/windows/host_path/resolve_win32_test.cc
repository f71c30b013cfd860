// Host-path resolution on a real file system (Wine in CI; natively on
// Windows): GetFinalPathNameByHandleW through the kernel32 table, for a
// directory and a file, including one past MAX_PATH. Wine cannot create
// symlinks or junctions, so resolution through links is proven against the
// fake and listed as a real-host check (deploy/windows/README.md).
#include <windows.h>

#include <cstdio>
#include <string>

#include "runtime/base/windows/wide.h"
#include "runtime/windows/host_path/api_win32.h"
#include "runtime/windows/host_path/resolve.h"
#include "runtime/windows/testing/win_check.h"

namespace {

using silo::runtime::windows::host_path::CreateHostDirectories;
using silo::runtime::windows::host_path::ResolveHostPath;
using silo::runtime::windows::host_path::Win32HostPathApi;
using silo::windows_testing::UnderWine;
#define CHECK(cond) SILO_WIN_CHECK(cond)

std::wstring TempRoot() {
  wchar_t tmp[MAX_PATH + 1] = {};
  GetTempPathW(MAX_PATH, tmp);
  return std::wstring(tmp) + L"silo-host-path-" + std::to_wstring(GetCurrentProcessId()) + L"-" +
         std::to_wstring(GetTickCount64());
}

// Volume serial number and file index: the identity of the object a path names.
bool SameObject(const std::wstring& a, const std::wstring& b) {
  BY_HANDLE_FILE_INFORMATION ia = {}, ib = {};
  auto info = [](const std::wstring& p, BY_HANDLE_FILE_INFORMATION* out) {
    HANDLE h = CreateFileW(p.c_str(), 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                           OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr);
    if (h == INVALID_HANDLE_VALUE) return false;
    const bool ok = GetFileInformationByHandle(h, out) != 0;
    CloseHandle(h);
    return ok;
  };
  return info(a, &ia) && info(b, &ib) && ia.dwVolumeSerialNumber == ib.dwVolumeSerialNumber &&
         ia.nFileIndexHigh == ib.nFileIndexHigh && ia.nFileIndexLow == ib.nFileIndexLow;
}

void ResolvedPathsNameTheSameObject() {
  const std::wstring dir = TempRoot();
  CHECK(CreateDirectoryW(dir.c_str(), nullptr));
  const std::wstring file = dir + L"\\config.yaml";
  HANDLE h = CreateFileW(file.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW, 0, nullptr);
  CHECK(h != INVALID_HANDLE_VALUE);
  if (h != INVALID_HANDLE_VALUE) CloseHandle(h);
  for (const std::wstring& p : {dir, file}) {
    auto r = ResolveHostPath(Win32HostPathApi(), p);
    CHECK(r.ok());
    if (!r.ok()) {
      std::printf("  %s\n", r.status().ToString().c_str());
      continue;
    }
    std::printf("  %s -> %s\n", silo::win32::WideToUtf8(p).c_str(),
                silo::win32::WideToUtf8(*r).c_str());
    CHECK(r->compare(0, 4, L"\\\\?\\") == 0);  // a \\?\Volume{...} (or \\?\C:) path
    if (UnderWine()) {
      // Wine makes up a volume GUID path it cannot open again: check its
      // form and that the rest of the path is the input's.
      const std::wstring tail = p.substr(p.find(L":\\") + 1);
      CHECK(r->compare(0, 11, L"\\\\?\\Volume{") == 0);
      CHECK(r->size() >= tail.size() && r->compare(r->size() - tail.size(), tail.size(), tail) == 0);
    } else {
      CHECK(SameObject(p, *r));
    }
  }
  DeleteFileW(file.c_str());
  RemoveDirectoryW(dir.c_str());
}

// A final name longer than MAX_PATH (WinSxS-deep host paths exist): the
// buffer grows to what the call asks for.
void LongPathsResolve() {
  const std::wstring dir = L"\\\\?\\" + TempRoot() + std::wstring(200, L'd');
  const std::wstring deep = dir + L"\\" + std::wstring(200, L'e');
  CHECK(CreateDirectoryW(dir.c_str(), nullptr));
  CHECK(CreateDirectoryW(deep.c_str(), nullptr));
  auto r = ResolveHostPath(Win32HostPathApi(), deep);
  if (UnderWine()) {
    // Wine 8 answers ERROR_MORE_DATA past MAX_PATH whatever the buffer.
    std::printf("  SKIPPED: Wine's GetFinalPathNameByHandleW fails past MAX_PATH (got %s)\n",
                r.ok() ? "success" : r.status().ToString().c_str());
    CHECK(r.ok() || r.status().hr() == 0x800700EAu);  // and we give up cleanly, with its error
  } else {
    CHECK(r.ok());
    if (r.ok()) CHECK(r->size() > MAX_PATH && SameObject(deep, *r));
  }
  RemoveDirectoryW(deep.c_str());
  RemoveDirectoryW(dir.c_str());
}

void MissingPathsFailNamingThePath() {
  const std::wstring missing = TempRoot() + L"\\nope";
  auto r = ResolveHostPath(Win32HostPathApi(), missing);
  CHECK(!r.ok());
  if (r.ok()) return;
  CHECK(r.status().hr() == 0x80070002u || r.status().hr() == 0x80070003u);
  CHECK(r.status().message().find("CreateFileW") != std::string::npos);
  CHECK(r.status().message().find("nope") != std::string::npos);
}

// A missing mount source is made with its parents (os.MkdirAll); making it
// again is no error.
void MissingDirectoriesAreCreatedWithTheirParents() {
  const std::wstring root = TempRoot();
  const std::wstring leaf = root + L"\\a\\b";
  auto made = CreateHostDirectories(Win32HostPathApi(), leaf);
  CHECK(made.ok());
  if (!made.ok()) std::printf("  %s\n", made.ToString().c_str());
  CHECK(GetFileAttributesW(leaf.c_str()) & FILE_ATTRIBUTE_DIRECTORY);
  CHECK(GetFileAttributesW(leaf.c_str()) != INVALID_FILE_ATTRIBUTES);
  CHECK(CreateHostDirectories(Win32HostPathApi(), leaf).ok());
  CHECK(ResolveHostPath(Win32HostPathApi(), leaf).ok());
  RemoveDirectoryW(leaf.c_str());
  RemoveDirectoryW((root + L"\\a").c_str());
  RemoveDirectoryW(root.c_str());
}

}  // namespace

int main() {
  const silo::windows_testing::WinTest tests[] = {
      {"ResolvedPathsNameTheSameObject", ResolvedPathsNameTheSameObject},
      {"LongPathsResolve", LongPathsResolve},
      {"MissingPathsFailNamingThePath", MissingPathsFailNamingThePath},
      {"MissingDirectoriesAreCreatedWithTheirParents", MissingDirectoriesAreCreatedWithTheirParents},
  };
  return silo::windows_testing::RunWinTests(tests);
}
