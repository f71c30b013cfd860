#include <windows.h>

#include "runtime/windows/hcs/stdio_io.h"

namespace silo::runtime::windows::hcs {
namespace {

// One ReadFile or WriteFile waited for. HCS's pipe handles may be
// overlapped, and a synchronous call on an overlapped handle has no defined
// completion, so every call carries its own OVERLAPPED and event.
int64_t Transfer(HANDLE h, bool write, char* data, DWORD len) {
  OVERLAPPED ov = {};
  ov.hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (ov.hEvent == nullptr) return -1;
  DWORD done = 0;
  BOOL ok = write ? WriteFile(h, data, len, &done, &ov) : ReadFile(h, data, len, &done, &ov);
  if (!ok && GetLastError() == ERROR_IO_PENDING) ok = GetOverlappedResult(h, &ov, &done, TRUE);
  const DWORD err = ok ? 0 : GetLastError();
  CloseHandle(ov.hEvent);
  if (!ok) return !write && (err == ERROR_BROKEN_PIPE || err == ERROR_HANDLE_EOF) ? 0 : -1;
  return static_cast<int64_t>(done);
}

int64_t Read(void* handle, char* buf, uint32_t len) { return Transfer(static_cast<HANDLE>(handle), false, buf, len); }

int64_t Write(void* handle, const char* data, uint32_t len) {
  uint32_t sent = 0;
  while (sent < len) {
    int64_t n = Transfer(static_cast<HANDLE>(handle), true, const_cast<char*>(data) + sent, len - sent);
    if (n <= 0) return -1;
    sent += static_cast<uint32_t>(n);
  }
  return len;
}

void Cancel(void* handle) { CancelIoEx(static_cast<HANDLE>(handle), nullptr); }

}  // namespace

const StdioIo& Win32StdioIo() {
  static const StdioIo io{&Read, &Write, &Cancel};
  return io;
}

}  // namespace silo::runtime::windows::hcs
