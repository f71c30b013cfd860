#pragma once
// A session's Duplex over a named pipe connection opened for overlapped
// I/O (either end: the monitor's instance or silod's client handle).
// Reads and writes may run on two threads at once; CancelRead wakes a
// pending read without touching a write in progress. Owns the handle.
// Win32 only.

#include <windows.h>

#include <memory>

#include "runtime/windows/shim/session_frames.h"

namespace silo::runtime::windows::shim {

// Takes ownership of `pipe` (closed by the Duplex). `close_on_destroy`
// false: the caller closes it (the pipe server's connection).
std::unique_ptr<Duplex> NewPipeDuplex(HANDLE pipe, bool close_on_destroy = true);

}  // namespace silo::runtime::windows::shim
