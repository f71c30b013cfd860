#include <windows.h>

#include "runtime/base/windows/long_path_win32.h"
#include "runtime/windows/shim/shim_files.h"

namespace silo::runtime::windows::shim {
namespace {

using win32::HrStatus;
using win32::Result;

HrStatus LastError(const std::string& what) {
  const DWORD err = GetLastError();
  const uint32_t hr = err == 0 ? 0x80004005 : ((err & 0xFFFFu) | 0x80070000u);
  return HrStatus(hr, what + ": Win32 error " + std::to_string(err));
}

HrStatus WriteAll(HANDLE h, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    DWORD chunk = data.size() > 0x40000000u ? 0x40000000u : static_cast<DWORD>(data.size());
    DWORD done = 0;
    if (!WriteFile(h, data.data(), chunk, &done, nullptr)) return LastError(what);
    data.remove_prefix(done);
  }
  return HrStatus::Ok();
}

// FILE_APPEND_DATA without FILE_WRITE_DATA: every write goes to the current
// end of file, like O_APPEND. Sharing delete lets kubelet rename the file
// while it is open (log rotation); sharing read and write lets it be read.
Result<HANDLE> OpenAppend(const std::string& path) {
  const std::wstring wide = win32::LongPath(path);
  if (wide.empty()) return HrStatus(0x80070057, "open container log: bad path " + path);  // E_INVALIDARG
  HANDLE h = CreateFileW(wide.c_str(), FILE_APPEND_DATA | SYNCHRONIZE,
                         FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_ALWAYS,
                         FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) return LastError("open container log " + path);
  return h;
}

class Win32LogFile : public LogFile {
 public:
  Win32LogFile(std::string path, HANDLE h) : path_(std::move(path)), h_(h) {}
  ~Win32LogFile() override { CloseHandle(h_); }

  HrStatus Append(std::string_view data) override { return WriteAll(h_, data, "write container log " + path_); }

  HrStatus Reopen() override {
    auto h = OpenAppend(path_);
    if (!h.ok()) return h.status();
    CloseHandle(h_);
    h_ = *h;
    return HrStatus::Ok();
  }

 private:
  const std::string path_;
  HANDLE h_;
};

}  // namespace

Result<std::unique_ptr<LogFile>> LogFile::Open(const std::string& path) {
  auto h = OpenAppend(path);
  if (!h.ok()) return h.status();
  return std::unique_ptr<LogFile>(new Win32LogFile(path, *h));
}

HrStatus WriteFileDurably(const std::string& path, std::string_view contents) {
  // Extended-length: a pod's log and state directories can pass MAX_PATH.
  const std::wstring target = win32::LongPath(path);
  if (target.empty()) return HrStatus(0x80070057, "write " + path + ": bad path");
  const std::wstring tmp = target + L".tmp";
  HANDLE h = CreateFileW(tmp.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) return LastError("create " + path + ".tmp");
  HrStatus s = WriteAll(h, contents, "write " + path + ".tmp");
  if (s.ok() && !FlushFileBuffers(h)) s = LastError("flush " + path + ".tmp");
  CloseHandle(h);
  // WRITE_THROUGH: MoveFileEx returns only once the rename is on disk.
  if (s.ok() && !MoveFileExW(tmp.c_str(), target.c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    s = LastError("rename " + path + ".tmp to " + path);
  }
  if (!s.ok()) DeleteFileW(tmp.c_str());
  return s;
}

Result<std::string> ReadSmallFile(const std::string& path) {
  const std::wstring wide = win32::LongPath(path);
  if (wide.empty()) return HrStatus(0x80070057, "open " + path + ": bad path");
  HANDLE h = CreateFileW(wide.c_str(), GENERIC_READ,
                         FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                         FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) return LastError("open " + path);
  std::string out;
  char buf[4096];
  while (true) {
    DWORD n = 0;
    if (!ReadFile(h, buf, sizeof(buf), &n, nullptr)) {
      HrStatus s = LastError("read " + path);
      CloseHandle(h);
      return s;
    }
    if (n == 0) break;
    out.append(buf, n);
  }
  CloseHandle(h);
  return out;
}

}  // namespace silo::runtime::windows::shim
