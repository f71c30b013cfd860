#pragma once
// StdioIo: reads and writes the stdio pipe HANDLEs that HcsCreateProcess
// returns (HcsProcessInformation). A table of plain function pointers like
// HcsApi: stdio_io_win32.cc implements it with ReadFile/WriteFile, the fake
// HCS with in-memory pipes fed by the simulated process, so the monitor that
// drains them is tested on Linux. Handles stay owned by the caller (closed
// through HcsApi::close_handle). The table is immutable and thread-safe; one
// handle must not be read from two threads at once.

#include <cstdint>

namespace silo::runtime::windows::hcs {

struct StdioIo {
  // Reads up to `len` bytes into `buf`: the count, 0 at end of stream (the
  // process and every other writer closed their end), -1 on error.
  int64_t (*read)(void* handle, char* buf, uint32_t len);
  // Writes all `len` bytes: `len`, or -1 on error (e.g. the process is gone).
  int64_t (*write)(void* handle, const char* data, uint32_t len);
  // Makes a read or write pending on `handle` (from another thread) return
  // -1: a process that stopped reading its stdin blocks a write for ever.
  // As CancelIoEx, a write not yet issued is not affected: a caller that
  // needs its writer back re-issues the cancel until the writer has left.
  void (*cancel)(void* handle);
};

#ifdef _WIN32
// ReadFile/WriteFile, waited through an OVERLAPPED so the handle may have
// been opened for overlapped I/O or not.
const StdioIo& Win32StdioIo();
#endif

}  // namespace silo::runtime::windows::hcs
