#pragma once
// OneShotCallbacks: callbacks registered now, fired later from any thread
// (one that must not block, such as an HCS notification thread), and run
// once each on this object's own thread, in firing order. Cancel gives the
// guarantee watchers need before freeing what a callback uses: once it
// returns, that callback is not running and never will.
//
// Thread-safe.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <thread>

#include "runtime/base/mutex.h"

namespace silo {

class OneShotCallbacks {
 public:
  OneShotCallbacks();
  // Drops callbacks not yet run; waits for a running one.
  ~OneShotCallbacks();
  OneShotCallbacks(const OneShotCallbacks&) = delete;
  OneShotCallbacks& operator=(const OneShotCallbacks&) = delete;

  uint64_t Add(std::function<void()> fn);
  // Queues `token`'s callback; never blocks. Unknown, cancelled or already
  // fired tokens are ignored.
  void Fire(uint64_t token);
  // From inside a callback it only prevents later runs (never waits for itself).
  void Cancel(uint64_t token);
  // Callbacks added and neither run nor cancelled.
  size_t size() const;

 private:
  void Run();
  // Work queued, or stopping.
  bool Woken() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !fired_.empty(); }
  struct Cancelling {
    const OneShotCallbacks* self;
    uint64_t token;
  };
  // Evaluated by absl holding mu_ (an absl::Condition on Cancel's wait).
  static bool NotRunning(Cancelling* c) ABSL_NO_THREAD_SAFETY_ANALYSIS { return c->self->running_ != c->token; }

  mutable Mutex mu_;
  std::map<uint64_t, std::function<void()>> pending_ ABSL_GUARDED_BY(mu_);
  std::deque<uint64_t> fired_ ABSL_GUARDED_BY(mu_);
  uint64_t next_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t running_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace silo
