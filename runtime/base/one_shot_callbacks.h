#pragma once
// OneShotCallbacks: callbacks registered now, fired later from any thread
// (one that must not block, such as an HCS notification thread), and run
// once each on this object's own thread, in firing order. Cancel gives the
// guarantee watchers need before freeing what a callback uses: once it
// returns, that callback is not running and never will.
//
// Thread-safe.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

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

  mutable std::mutex mu_;
  std::condition_variable cv_;               // work queued, or stopping
  std::condition_variable idle_;             // a callback returned
  std::map<uint64_t, std::function<void()>> pending_;  // guarded by mu_
  std::deque<uint64_t> fired_;               // guarded by mu_
  uint64_t next_ = 1;                        // guarded by mu_
  uint64_t running_ = 0;                     // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::thread thread_;
};

}  // namespace silo
