#pragma once
// Removing a directory tree off the caller's path: Discard() renames the tree
// into `<parent>/.trash/` (one rename, atomic, on the same file system) and a
// worker deletes it later. A removed container's writable layer and bundle
// are gone from their names at once, so RemoveContainer need not wait for
// the file system to unlink every file (on a busy disk that was most of its
// time). Trees discarded before a crash are found again by Sweep(parent),
// which the owner calls at start; readers of `parent` skip dot entries.
//
// Thread-safe. The destructor finishes the queued deletions.

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "runtime/base/mutex.h"

namespace silo {

class DeferredRemoval {
 public:
  DeferredRemoval() = default;
  ~DeferredRemoval();
  DeferredRemoval(const DeferredRemoval&) = delete;
  DeferredRemoval& operator=(const DeferredRemoval&) = delete;

  // Takes `path` away from its name now and deletes it later. A missing path
  // is fine. When the rename fails (e.g. `path` is a mount point), it is
  // removed here instead, and that result is returned.
  absl::Status Discard(const std::string& path);

  // Queues what an earlier process discarded under `parent` and never
  // deleted.
  void Sweep(const std::string& parent);

  // Waits until every queued tree is deleted (tests and shutdown).
  void Drain();

  // The trash folder used for trees under `parent`.
  static std::string TrashDir(const std::string& parent);

 private:
  void Enqueue(std::string path);
  void Work();

  Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t counter_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread worker_;  // started by the first Enqueue, under mu_
  const int64_t started_ns_ = std::chrono::system_clock::now().time_since_epoch() / std::chrono::nanoseconds(1);
};

}  // namespace silo
