#pragma once
// OutputDrain reads one stdio pipe of an HCS process on its own thread until
// end of stream, handing every chunk to `sink`, so a chatty process never
// blocks on a full pipe. Join() waits for end of stream (the process exited
// and everything it wrote was read); the handle is closed then.
// `sink` runs on the drain thread. Not copyable; the destructor joins.

#include <atomic>
#include <chrono>
#include <functional>
#include <string_view>
#include <thread>

#include "runtime/windows/hcs/api.h"
#include "runtime/windows/hcs/stdio_io.h"

namespace silo::runtime::windows::shim {

class OutputDrain {
 public:
  using Sink = std::function<void(std::string_view chunk)>;

  // Takes ownership of `handle` (closed through api.close_handle). A null
  // handle is a drain that has already ended.
  OutputDrain(const hcs::HcsApi& api, const hcs::StdioIo& io, void* handle, Sink sink);
  ~OutputDrain();
  OutputDrain(const OutputDrain&) = delete;
  OutputDrain& operator=(const OutputDrain&) = delete;

  void Join();
  // Join, but for at most `limit`: a process that exited may have left a
  // child holding the pipe's write end, and then end of stream never comes
  // (hcsshim's CopyAfterExitTimeout). Stops the drain at the limit; true
  // when the stream ended by itself.
  bool JoinFor(std::chrono::milliseconds limit);
  // Ends the drain before end of stream (the process still runs): cancels
  // the pending read until the thread notices, then joins.
  void Stop();

 private:
  const hcs::StdioIo& io_;
  void* handle_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  void (*close_handle_)(void* handle) = nullptr;
  std::thread thread_;
};

// Sinks a chunk into `out` up to `cap` bytes; the rest is read and dropped.
OutputDrain::Sink CappedStringSink(std::string* out, size_t cap);

}  // namespace silo::runtime::windows::shim
