#pragma once
// An attach session's copy of a container's main process output, shared by
// the HCS monitor and the HostProcess monitor. The CRI log keeps getting all
// of it; a tap sees it from the moment it is added.
//
// OutputTap is called on the output threads, so it must not block: a slow
// attacher must never hold the container's output back. QueueTap queues the
// chunks for the session's thread and cuts the attacher off once it falls
// kMaxTapBacklog behind. Thread-safe.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "runtime/shim/core/cri_log_record.h"

namespace silo::runtime::windows::shim {

using runtime::shim::LogStream;

class OutputTap {
 public:
  virtual ~OutputTap() = default;
  virtual void Output(LogStream stream, std::string_view chunk) = 0;
  // The main process's output ended (it exited and its pipes drained).
  virtual void Ended() = 0;
};

// How far an attacher may fall behind the container's output.
inline constexpr size_t kMaxTapBacklog = 4u << 20;

class QueueTap final : public OutputTap {
 public:
  void Output(LogStream stream, std::string_view chunk) override;
  void Ended() override;
  // The session is over (detached, or its client left): Pop answers kCancelled.
  void Cancel();
  enum class Next { kChunk, kEnded, kOverflowed, kCancelled };
  // Waits for the next chunk or the end.
  Next Pop(LogStream* stream, std::string* chunk);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<LogStream, std::string>> chunks_;  // guarded by mu_
  size_t backlog_ = 0;                                    // guarded by mu_
  bool ended_ = false;                                    // guarded by mu_
  bool overflowed_ = false;                               // guarded by mu_
  bool cancelled_ = false;                                // guarded by mu_
};

}  // namespace silo::runtime::windows::shim
