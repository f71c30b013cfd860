#include "runtime/windows/hcs/stdio_io.h"

#include "runtime/base/windows/named_pipe_win32.h"

namespace silo::runtime::windows::hcs {
namespace {

// HCS's pipe handles may be overlapped, and a synchronous call on an
// overlapped handle has no defined completion: every call is overlapped.
int64_t Read(void* handle, char* buf, uint32_t len) {
  return win32::OverlappedTransfer(static_cast<HANDLE>(handle), /*write=*/false, buf, len);
}

int64_t Write(void* handle, const char* data, uint32_t len) {
  uint32_t sent = 0;
  while (sent < len) {
    const int64_t n =
        win32::OverlappedTransfer(static_cast<HANDLE>(handle), /*write=*/true, const_cast<char*>(data) + sent, len - sent);
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
