#pragma once
// Single-use, short-lived tokens that carry a StreamRequest from the CRI RPC
// (which returns a URL) to the HTTP handler (which the client then hits).
// Tokens are 128-bit random hex; each may be taken once, within `ttl` of its
// creation. At most `max_entries` live at once: expired ones are swept on
// every Insert, and beyond that Insert fails with ResourceExhausted rather
// than evicting a live request. Thread-safe.

#include <cstddef>
#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "runtime/base/mutex.h"
#include "absl/time/time.h"
#include "cri/streaming/request.h"

namespace silo::cri::streaming {

class TokenStore {
 public:
  using Clock = std::function<absl::Time()>;

  explicit TokenStore(absl::Duration ttl = absl::Minutes(1), size_t max_entries = 1000,
                      Clock clock = [] { return absl::Now(); });

  // Stores `request` and returns its new token.
  absl::StatusOr<std::string> Insert(StreamRequest request);

  // Removes and returns the request for `token`; NotFound when the token is
  // unknown, already taken, or expired.
  absl::StatusOr<StreamRequest> Take(const std::string& token);

  size_t size() const;

 private:
  struct Entry {
    StreamRequest request;
    absl::Time expires;
  };
  void SweepLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const absl::Duration ttl_;
  const size_t max_entries_;
  const Clock clock_;
  mutable silo::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace silo::cri::streaming
