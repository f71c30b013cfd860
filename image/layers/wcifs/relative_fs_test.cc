// Win32 tests of the relative layer-content primitives (relative_fs_win32):
// a Windows executable (mingw-w64 has no GoogleTest), run under Wine in CI
// and natively on Windows. Wine 8 cannot create reparse points, so the
// junction cases run only where FSCTL_SET_REPARSE_POINT works (real Windows)
// and are skipped, saying so, under Wine; there the fake (fake_layer_api)
// carries them. Everything else - relative creates, mkdirs, links, times,
// recursive removes, name refusals and paths beyond MAX_PATH - runs here.
#include <windows.h>
#include <winioctl.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "image/layers/wcifs/layer_calls.h"
#include "image/layers/wcifs/relative_fs_win32.h"
#include "image/layers/wcifs/relative_path.h"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/testing/win_check.h"

namespace {

namespace wcifs = silo::image::layers::wcifs;
using silo::win32::Utf8ToWide;
using silo::win32::WideToUtf8;
using silo::windows_testing::UnderWine;
#define CHECK(cond) SILO_WIN_CHECK(cond)
#define CHECK_HR(expr, want)                                                                            \
  do {                                                                                                  \
    const uint32_t hr_ = (expr).hr();                                                                  \
    if (hr_ != (want)) {                                                                               \
      std::printf("  FAILED %s:%d: %s: 0x%08x, want 0x%08x\n", __FILE__, __LINE__, #expr, hr_, (want)); \
      ++::silo::windows_testing::Failures();                                                           \
    }                                                                                                   \
  } while (0)

constexpr uint32_t kOk = 0;

wcifs::LayerApi& Api() {
  static wcifs::LayerApi api{};
  static const bool bound = wcifs::BindRelativeFileCalls(&api).ok();
  if (!bound) std::printf("  BindRelativeFileCalls failed\n");
  return api;
}

wcifs::LayerCalls Calls() { return wcifs::LayerCalls(&Api()); }

// A fresh folder under %TEMP% (UTF-8, '\' separated).
std::string FreshDir(const char* name) {
  wchar_t temp[MAX_PATH];
  GetTempPathW(MAX_PATH, temp);
  const std::string dir = WideToUtf8(temp) + "silo-relfs-" + name + "-" + std::to_string(GetCurrentProcessId());
  (void)Calls().RemoveAllRelative(WideToUtf8(temp), dir.substr(WideToUtf8(temp).size()));
  CreateDirectoryW(Utf8ToWide(dir).c_str(), nullptr);
  return dir;
}

bool Exists(const std::string& path) {
  return GetFileAttributesW(Utf8ToWide("\\\\?\\" + path).c_str()) != INVALID_FILE_ATTRIBUTES;
}

// A backup stream holding only file data (BACKUP_DATA).
std::string DataStream(const std::string& data) {
  std::string s(20, '\0');
  const uint32_t id = 1;
  const uint64_t size = data.size();
  std::memcpy(&s[0], &id, 4);
  std::memcpy(&s[8], &size, 8);
  return s + data;
}

const wcifs::FileBasicInfo kFile{0, 0, 0, 0, FILE_ATTRIBUTE_ARCHIVE, 0};
const wcifs::FileBasicInfo kDir{0, 0, 0, 0, FILE_ATTRIBUTE_DIRECTORY, 0};

// BackupWrite is a stub in some Wine builds: the file must still be created
// where the relative name says, and nowhere else.
bool BackupWriteUnsupported(uint32_t hr) {
  const bool stub = UnderWine() && (hr == 0x80070032 || hr == 0x80070078);  // NOT_SUPPORTED, CALL_NOT_IMPLEMENTED
  if (stub) std::printf("  note: BackupWrite is a stub here (0x%08x); only the relative create is checked\n", hr);
  return stub;
}

void CreatesMkdirsLinksAndRemovesRelatively() {
  const std::string root = FreshDir("basic");
  const wcifs::LayerCalls calls = Calls();
  CHECK_HR(calls.MkdirAllRelative(root, "Files/Windows/System32"), kOk);
  CHECK_HR(calls.MkdirRelative(root, "Files/Windows"), kOk);  // existing folder is fine
  CHECK(Exists(root + "\\Files\\Windows\\System32"));
  const wcifs::HrStatus wrote =
      calls.BackupWriteRelative(root, "Files/Windows/System32/a.dll", kFile, DataStream("MZ"), false);
  CHECK(wrote.ok() || BackupWriteUnsupported(wrote.hr()));
  CHECK(Exists(root + "\\Files\\Windows\\System32\\a.dll"));
  CHECK_HR(calls.BackupWriteRelative(root, "Files/Windows/System32/a.dll", kFile, DataStream("MZ"), false),
           0x800700B7u);  // FILE_CREATE never overwrites
  CHECK_HR(calls.BackupWriteRelative(root, "Files/Program Files", kDir, "", false), kOk);
  auto attributes = calls.LstatRelative(root, "Files/Program Files");
  CHECK(attributes.ok() && (*attributes & FILE_ATTRIBUTE_DIRECTORY) != 0);
  CHECK_HR(calls.SetFileBasicInfoRelative(root, "Files/Windows/System32/a.dll", kFile), kOk);
  CHECK_HR(calls.LinkRelative(root, "Files/Windows/System32/a.dll", root, "Files/a2.dll"), kOk);
  CHECK(Exists(root + "\\Files\\a2.dll"));
  CHECK_HR(calls.LinkRelative(root, "Files/Windows/System32/a.dll", root, "Files/a2.dll"), kOk);  // replaces
  CHECK_HR(calls.LstatRelative(root, "Files/missing").status(), 0x80070002u);
  CHECK_HR(calls.LstatRelative(root, "Files/missing/x").status(), 0x80070003u);
  CHECK_HR(calls.MkdirRelative(root, "Files/missing/x"), 0x80070003u);  // parents are never created
  CHECK_HR(calls.RemoveAllRelative(root, "Files/missing/x"), kOk);      // missing is success
  CHECK_HR(calls.RemoveAllRelative(root, "Files"), kOk);
  CHECK(!Exists(root + "\\Files"));
  RemoveDirectoryW(Utf8ToWide(root).c_str());
}

void RefusesNamesOutsideTheRoot() {
  const std::string root = FreshDir("names");
  const wcifs::LayerCalls calls = Calls();
  for (const char* name : {"..\\silo-relfs-escaped", "../silo-relfs-escaped", "a/../../silo-relfs-escaped",
                           "\\silo-relfs-escaped", "/silo-relfs-escaped", "C:silo-relfs-escaped",
                           "C:\\silo-relfs-escaped", "x:stream", "", "a//b", ". ", "..."}) {
    CHECK_HR(calls.BackupWriteRelative(root, name, kFile, DataStream("x"), false), wcifs::kHrInvalidRelativePath);
    CHECK_HR(calls.MkdirRelative(root, name), wcifs::kHrInvalidRelativePath);
    CHECK_HR(calls.RemoveAllRelative(root, name), wcifs::kHrInvalidRelativePath);
  }
  CHECK(!Exists(root + "\\..\\silo-relfs-escaped"));
  RemoveDirectoryW(Utf8ToWide(root).c_str());
}

void WorksBeyondMaxPath() {
  const std::string top = FreshDir("long");
  const wcifs::LayerCalls calls = Calls();
  std::string rel = "Files";
  while (top.size() + rel.size() < 400) rel += "/component-of-forty-characters-for-winsxs";
  CHECK_HR(calls.MkdirAllRelative(top, rel), kOk);
  const std::string file = rel + "/amd64_microsoft-windows-servicingstack_31bf3856ad364e35.manifest";
  CHECK(top.size() + file.size() > MAX_PATH);
  const wcifs::HrStatus wrote = calls.BackupWriteRelative(top, file, kFile, DataStream("<assembly/>"), false);
  CHECK(wrote.ok() || BackupWriteUnsupported(wrote.hr()));
  CHECK(calls.LstatRelative(top, file).ok());
  // A root that is itself longer than MAX_PATH (no "\\?\" given).
  std::string deep = top;
  for (char& c : rel) c = c == '/' ? '\\' : c;
  deep += "\\" + rel;
  CHECK(deep.size() > MAX_PATH);
  CHECK_HR(calls.MkdirRelative(deep, "leaf"), kOk);
  CHECK_HR(calls.LinkRelative(top, file, deep, "leaf/linked.manifest"), kOk);
  CHECK_HR(calls.RemoveAllRelative(top, "Files"), kOk);
  CHECK(!Exists(top + "\\Files"));
  RemoveDirectoryW(Utf8ToWide(top).c_str());
}

// Removing a tree far deeper than a thread stack holds frames of a
// recursive walk with a listing buffer each (64 KiB: ~30 levels in 2 MiB).
void RemovesDeepTrees() {
  const std::string root = FreshDir("deep");
  const wcifs::LayerCalls calls = Calls();
  std::string rel = "Files";
  for (int depth = 0; depth < 160; ++depth) rel += "/d";
  CHECK_HR(calls.MkdirAllRelative(root, rel), kOk);
  const wcifs::HrStatus wrote = calls.BackupWriteRelative(root, rel + "/leaf", kFile, DataStream("x"), false);
  CHECK(wrote.ok() || BackupWriteUnsupported(wrote.hr()));
  CHECK_HR(calls.MkdirRelative(root, "Files/d/sibling"), kOk);
  CHECK_HR(calls.RemoveAllRelative(root, "Files"), kOk);
  CHECK(!Exists(root + "\\Files"));
  RemoveDirectoryW(Utf8ToWide(root).c_str());
}

// Makes `path` (an empty folder) a junction to `target`; false where the
// file system or Wine cannot.
bool MakeJunction(const std::string& path, const std::string& target) {
  HANDLE h = CreateFileW(Utf8ToWide(path).c_str(), GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                         FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
  if (h == INVALID_HANDLE_VALUE) return false;
  const std::wstring sub = L"\\??\\" + Utf8ToWide(target), print = Utf8ToWide(target);
  const uint16_t sub_bytes = static_cast<uint16_t>(sub.size() * 2);
  const uint16_t print_bytes = static_cast<uint16_t>(print.size() * 2);
  const uint16_t data_length = static_cast<uint16_t>(8 + sub_bytes + 2 + print_bytes + 2);
  std::vector<unsigned char> buf(8 + data_length, 0);
  const uint32_t tag = IO_REPARSE_TAG_MOUNT_POINT;
  const uint16_t print_offset = static_cast<uint16_t>(sub_bytes + 2);
  std::memcpy(&buf[0], &tag, 4);
  std::memcpy(&buf[4], &data_length, 2);
  std::memcpy(&buf[10], &sub_bytes, 2);
  std::memcpy(&buf[12], &print_offset, 2);
  std::memcpy(&buf[14], &print_bytes, 2);
  std::memcpy(&buf[16], sub.data(), sub_bytes);
  std::memcpy(&buf[16 + print_offset], print.data(), print_bytes);
  DWORD returned = 0;
  const bool ok = DeviceIoControl(h, FSCTL_SET_REPARSE_POINT, buf.data(), static_cast<DWORD>(buf.size()), nullptr, 0,
                                  &returned, nullptr);
  CloseHandle(h);
  return ok;
}

void RefusesEverythingBeneathAJunction() {
  const std::string root = FreshDir("junction"), host = FreshDir("host");
  const wcifs::LayerCalls calls = Calls();
  CHECK_HR(calls.MkdirAllRelative(root, "Files/j"), kOk);
  if (!MakeJunction(root + "\\Files\\j", host)) {
    std::printf("  skipped: cannot create a junction here (error %lu)%s\n", GetLastError(),
                UnderWine() ? "; Wine has no reparse points, the fake covers this" : "");
    (void)calls.RemoveAllRelative(root, "Files");
    RemoveDirectoryW(Utf8ToWide(root).c_str());
    RemoveDirectoryW(Utf8ToWide(host).c_str());
    return;
  }
  const wcifs::HrStatus victim = calls.BackupWriteRelative(host, "victim", kFile, DataStream("host"), false);
  CHECK(victim.ok());
  const uint32_t kReparse = wcifs::kHrReparsePointEncountered;
  CHECK_HR(calls.BackupWriteRelative(root, "Files/j/x", kFile, DataStream("x"), false), kReparse);
  CHECK_HR(calls.BackupWriteRelative(root, "Files/J/x", kFile, DataStream("x"), false), kReparse);
  CHECK_HR(calls.MkdirRelative(root, "Files/j/d"), kReparse);
  CHECK_HR(calls.MkdirRelative(root, "Files/j"), kReparse);
  CHECK_HR(calls.BackupWriteRelative(root, "Files/j", kDir, "", true), kReparse);  // never written into
  CHECK_HR(calls.LinkRelative(host, "victim", root, "Files/j"), 0x80070005u);     // a junction is never replaced
  CHECK_HR(calls.SetFileBasicInfoRelative(root, "Files/j/victim", kFile), kReparse);
  CHECK_HR(calls.LstatRelative(root, "Files/j/victim").status(), kReparse);
  CHECK_HR(calls.RemoveAllRelative(root, "Files/j/victim"), kReparse);
  CHECK_HR(calls.LinkRelative(host, "victim", root, "Files/j/evil"), kReparse);
  CHECK_HR(calls.LinkRelative(root, "Files/j/victim", root, "Files/stolen"), kReparse);
  auto attributes = calls.LstatRelative(root, "Files/j");
  CHECK(attributes.ok() && (*attributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0);
  // Removing the folder that holds the junction removes the junction only.
  CHECK_HR(calls.RemoveAllRelative(root, "Files"), kOk);
  CHECK(!Exists(root + "\\Files"));
  CHECK(Exists(host + "\\victim"));
  CHECK(!Exists(host + "\\x") && !Exists(host + "\\d") && !Exists(host + "\\evil"));
  (void)calls.RemoveAllRelative(host, "victim");
  RemoveDirectoryW(Utf8ToWide(root).c_str());
  RemoveDirectoryW(Utf8ToWide(host).c_str());
}

}  // namespace

int main() {
  std::printf("wcifs_relative_fs_test%s\n", UnderWine() ? " (under Wine)" : "");
  const silo::windows_testing::WinTest tests[] = {
      {"CreatesMkdirsLinksAndRemovesRelatively", CreatesMkdirsLinksAndRemovesRelatively},
      {"RefusesNamesOutsideTheRoot", RefusesNamesOutsideTheRoot},
      {"WorksBeyondMaxPath", WorksBeyondMaxPath},
      {"RemovesDeepTrees", RemovesDeepTrees},
      {"RefusesEverythingBeneathAJunction", RefusesEverythingBeneathAJunction},
  };
  return silo::windows_testing::RunWinTests(tests);
}
