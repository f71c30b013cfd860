#pragma once
// ShimExitWatcher: silod learns of container exits as they happen, not when
// someone next asks. One thread holds a `wait` request open on every
// watched shim (epoll) and runs a callback when a shim answers it (the exit
// is recorded) or hangs up (the shim is gone). Without it an exit reached
// the store, and CONTAINER_STOPPED_EVENT the event stream, only at the next
// status or list call, and every ListContainers asked every shim.
//
// Thread-safe. Callbacks run one at a time on a thread of their own
// (OneShotCallbacks), so a slow one never holds up reading other shims.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "runtime/base/mutex.h"
#include "runtime/base/one_shot_callbacks.h"
#include "runtime/shim/protocol.h"

namespace silo::runtime::shim {

class ShimExitWatcher {
 public:
  // The shim's answer to `wait`, or Unavailable when the connection ended
  // without one.
  using Callback = std::function<void(absl::StatusOr<Response>)>;

  static absl::StatusOr<std::unique_ptr<ShimExitWatcher>> Start();
  // Stops the threads; no callback runs after it returns.
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
    // Where the result goes before the callback (which reads it) is fired.
    std::shared_ptr<absl::StatusOr<Response>> result;
  };

  ShimExitWatcher(int epoll_fd, int wake_fd) : epoll_fd_(epoll_fd), wake_fd_(wake_fd) {}
  void Run();
  // Reads what the entry's connection has; true once that makes a result.
  static bool Read(Entry& entry, absl::StatusOr<Response>* result);

  const int epoll_fd_;
  const int wake_fd_;
  OneShotCallbacks callbacks_;  // tokens are the watches'
  std::thread thread_;
  mutable silo::Mutex mu_;
  std::map<uint64_t, Entry> entries_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace silo::runtime::shim
