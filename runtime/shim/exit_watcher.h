#pragma once
// ShimExitWatcher: silod learns of container exits as they happen, not when
// someone next asks. One thread holds a `wait` request open on every
// watched shim (epoll) and runs a callback when a shim answers it (the exit
// is recorded) or hangs up (the shim is gone). Without it an exit reached
// the store, and CONTAINER_STOPPED_EVENT the event stream, only at the next
// status or list call, and every ListContainers asked every shim.
//
// Thread-safe. Callbacks run on the watcher's thread, one at a time.

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "runtime/shim/protocol.h"

namespace silo::runtime::shim {

class ShimExitWatcher {
 public:
  // The shim's answer to `wait`, or Unavailable when the connection ended
  // without one.
  using Callback = std::function<void(absl::StatusOr<Response>)>;

  static absl::StatusOr<std::unique_ptr<ShimExitWatcher>> Start();
  // Stops the thread; no callback runs after it returns.
  ~ShimExitWatcher();
  ShimExitWatcher(const ShimExitWatcher&) = delete;
  ShimExitWatcher& operator=(const ShimExitWatcher&) = delete;

  // Connects to `socket_path` (waiting at most until `deadline`) and sends
  // `wait`. `on_exit` then runs exactly once unless cancelled first. Returns
  // the token Cancel takes.
  absl::StatusOr<uint64_t> Watch(const std::string& socket_path, Callback on_exit, Deadline deadline);

  // After it returns, the callback of `token` is not running and never
  // will. From inside a callback it only prevents later runs (never waits
  // for itself). Unknown or finished tokens are ignored.
  void Cancel(uint64_t token);

  // Watches not yet answered or cancelled.
  size_t size() const;

 private:
  struct Entry {
    int fd = -1;
    std::string socket_path;
    FrameDecoder decoder{kMaxResponseFrameSize};
    Callback on_exit;
  };

  ShimExitWatcher(int epoll_fd, int wake_fd) : epoll_fd_(epoll_fd), wake_fd_(wake_fd) {}
  void Run();
  // Reads what the entry's connection has; true once that makes a result.
  static bool Read(Entry& entry, absl::StatusOr<Response>* result);

  const int epoll_fd_;
  const int wake_fd_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable idle_;  // signalled when a callback returns
  std::map<uint64_t, Entry> entries_;  // guarded by mu_
  uint64_t next_token_ = 1;            // guarded by mu_
  uint64_t running_ = 0;               // token whose callback runs now; guarded by mu_
  bool stopping_ = false;              // guarded by mu_
};

}  // namespace silo::runtime::shim
