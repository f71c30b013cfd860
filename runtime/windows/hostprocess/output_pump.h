#pragma once
// OutputPump: a thread that reads one stdio pipe of a HostProcess process
// until the pipe breaks (every writer closed or exited) and hands each chunk
// to a sink. The destructor joins the thread and closes the read handle, so
// nothing is left; it returns only once the process's writers are gone (or
// the job was terminated). JoinFor bounds that wait: a child the process
// left behind may hold the pipe open for ever. Not copyable; the sink is
// called from the thread.

#include <atomic>
#include <chrono>
#include <functional>
#include <string_view>
#include <thread>

#include "runtime/windows/hostprocess/process_api.h"

namespace silo::runtime::windows::hostprocess {

class OutputPump {
 public:
  using Sink = std::function<void(std::string_view chunk)>;
  // Takes ownership of `read_handle`.
  OutputPump(const ProcessApi& api, void* read_handle, Sink sink);
  ~OutputPump();
  OutputPump(const OutputPump&) = delete;
  OutputPump& operator=(const OutputPump&) = delete;

  // Waits for the end of the stream and closes the handle. Idempotent.
  void Join();
  // Join, but for at most `limit`; then the pending read is cancelled and
  // the rest of the stream is not read. True when the stream ended by itself.
  bool JoinFor(std::chrono::milliseconds limit);
  // Stops reading now: cancels the pending read until the thread has
  // returned, then joins and closes the handle.
  void Stop();

 private:
  const ProcessApi& api_;
  void* read_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace silo::runtime::windows::hostprocess
