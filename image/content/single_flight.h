#pragma once
// SingleFlight<Key, Result>: concurrent callers asking for the same key share
// one execution. The first caller (the leader) runs the function; callers that
// arrive while it runs block and receive a copy of the leader's result. Once
// the call finishes the key is forgotten, so a later call runs again: this
// deduplicates work in flight, it is not a cache.
//
// Used by the registry puller so that two pods pulling the same layer share
// one download and one content-store ingest.
//
// Thread-safe. `fn` runs on the leader's thread without any lock held, so it
// may call back into other SingleFlight keys. `fn` must not throw (project
// rule: no exceptions across module boundaries); a throw would leave the
// waiters blocked. Result must be copyable.

#include <cstddef>
#include <memory>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "runtime/base/mutex.h"

namespace silo::image::content {

template <typename Key, typename Result>
class SingleFlight {
 public:
  SingleFlight() = default;
  SingleFlight(const SingleFlight&) = delete;
  SingleFlight& operator=(const SingleFlight&) = delete;

  // Runs `fn` unless a call for `key` is already in flight, in which case it
  // waits for that call and returns its result. `*shared` (if given) is set to
  // true when the result came from another caller's execution.
  Result Do(const Key& key, absl::FunctionRef<Result()> fn, bool* shared = nullptr) {
    std::shared_ptr<Call> call;
    bool leader = false;
    {
      silo::MutexLock lock(&mu_);
      auto it = calls_.find(key);
      if (it == calls_.end()) {
        call = std::make_shared<Call>();
        calls_.emplace(key, call);
        leader = true;
      } else {
        call = it->second;
      }
      ++call->callers;
    }
    if (shared != nullptr) *shared = !leader;
    if (!leader) {
      call->done.WaitForNotification();
      return *call->result;
    }
    call->result.emplace(fn());
    {
      silo::MutexLock lock(&mu_);
      calls_.erase(key);
    }
    // Waiters hold their own reference to `call`, so the result outlives the map entry.
    call->done.Notify();
    return *call->result;
  }

  // Number of callers (leader included) currently attached to `key`'s call;
  // 0 when none is in flight. For metrics and tests.
  size_t Callers(const Key& key) const {
    silo::MutexLock lock(&mu_);
    auto it = calls_.find(key);
    return it == calls_.end() ? 0 : it->second->callers;
  }

  // Number of keys with a call in flight.
  size_t InFlight() const {
    silo::MutexLock lock(&mu_);
    return calls_.size();
  }

 private:
  struct Call {
    silo::Notification done;
    std::optional<Result> result;  // written by the leader before `done`
    size_t callers = 0;            // guarded by the owning SingleFlight's mu_
  };

  mutable silo::Mutex mu_;
  absl::flat_hash_map<Key, std::shared_ptr<Call>> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace silo::image::content
