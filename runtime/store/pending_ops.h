#pragma once
// Single-flight for slow CRI operations: kubelet times out a slow
// RunPodSandbox or CreateContainer after a few minutes and sends the same
// request again. The first caller of a key runs the operation; callers that
// arrive while it runs wait and receive the same StatusOr<Result>. A
// successful result is kept for `ttl` after it finishes, so a retry right
// after completion gets the same answer instead of running again. Errors are
// handed to the waiters of that run but never kept: a later retry runs anew.
//
// Thread safety: every method is thread-safe. The operation runs on the first
// caller's thread without any lock held, so it may take as long as it needs
// and may use other keys (never its own: that would wait for itself).
// Result must be copyable. An exception escaping the operation becomes an
// Internal error, so waiters are never stranded.

#include <chrono>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "runtime/base/mutex.h"

namespace silo::runtime::store {

template <typename Result>
class PendingOps {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  using Op = std::function<absl::StatusOr<Result>()>;

  // `now` replaces the steady clock in tests of the TTL.
  explicit PendingOps(std::chrono::nanoseconds ttl = std::chrono::seconds(0), Clock now = nullptr)
      : ttl_(ttl), now_(now ? std::move(now) : [] { return std::chrono::steady_clock::now(); }) {}

  PendingOps(const PendingOps&) = delete;
  PendingOps& operator=(const PendingOps&) = delete;

  absl::StatusOr<Result> Run(const std::string& key, const Op& op) {
    std::shared_ptr<Entry> entry;
    {
      silo::MutexLock lock(&mu_);
      DropExpiredLocked();
      auto it = entries_.find(key);
      if (it != entries_.end()) {
        entry = it->second;
        ++entry->waiters;
        auto finished = [&entry] { return entry->result.has_value(); };
        mu_.Await(absl::Condition(&finished));
        --entry->waiters;
        return *entry->result;
      }
      entry = std::make_shared<Entry>();
      entries_.emplace(key, entry);
    }

    absl::StatusOr<Result> result = RunCatching(key, op);

    silo::MutexLock lock(&mu_);
    entry->result = result;
    entry->finished = now_();
    // Keep successes for the TTL; drop failures so the next call retries.
    if (!result.ok() || ttl_.count() <= 0) {
      auto it = entries_.find(key);
      if (it != entries_.end() && it->second == entry) entries_.erase(it);
    }
    return result;
  }

  // Callers currently waiting on `key` (not counting the one running it).
  int Waiters(const std::string& key) const {
    silo::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    return it == entries_.end() ? 0 : it->second->waiters;
  }

  // True while an operation for `key` runs.
  bool InFlight(const std::string& key) const {
    silo::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    return it != entries_.end() && !it->second->result.has_value();
  }

  // Drops a kept result (e.g. once the sandbox it created was removed). An
  // operation in flight is not affected.
  void Forget(const std::string& key) {
    silo::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second->result.has_value()) entries_.erase(it);
  }

 private:
  struct Entry {
    std::optional<absl::StatusOr<Result>> result;  // set once the run ends
    std::chrono::steady_clock::time_point finished;
    int waiters = 0;
  };

  static absl::StatusOr<Result> RunCatching(const std::string& key, const Op& op) {
    try {
      return op();
    } catch (const std::exception& e) {
      return absl::InternalError(absl::StrCat("operation ", key, " threw: ", e.what()));
    } catch (...) {
      return absl::InternalError(absl::StrCat("operation ", key, " threw"));
    }
  }

  void DropExpiredLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto now = now_();
    for (auto it = entries_.begin(); it != entries_.end();) {
      const Entry& e = *it->second;
      if (e.result.has_value() && now - e.finished >= ttl_) {
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
  }

  const std::chrono::nanoseconds ttl_;
  const Clock now_;
  mutable silo::Mutex mu_;  // waiters Await their entry's result on it
  std::map<std::string, std::shared_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace silo::runtime::store
