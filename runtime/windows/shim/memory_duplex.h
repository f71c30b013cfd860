#pragma once
// An in-memory connection of two Duplex ends, as a named pipe connection
// behaves: bytes written on one end are read on the other in order; a
// writer blocks while 256 KiB are unread; destroying an end closes the
// connection (the peer reads what is left, then end of stream, and its
// writes fail). For the Linux tests' monitors (InProcessShimPort) and unit
// tests. Thread-safe: one reader and any writers per end.

#include <memory>
#include <utility>

#include "runtime/windows/shim/session_frames.h"

namespace silo::runtime::windows::shim {

std::pair<std::unique_ptr<Duplex>, std::unique_ptr<Duplex>> MemoryDuplexPair();

}  // namespace silo::runtime::windows::shim
