#include "cri/streaming/token_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/base/ids.h"
#include "runtime/base/mutex.h"

namespace silo::cri::streaming {

TokenStore::TokenStore(absl::Duration ttl, size_t max_entries, Clock clock)
    : ttl_(ttl), max_entries_(max_entries), clock_(std::move(clock)) {}

void TokenStore::SweepLocked(absl::Time now) {
  absl::erase_if(entries_, [now](const auto& kv) { return kv.second.expires <= now; });
}

absl::StatusOr<std::string> TokenStore::Insert(StreamRequest request) {
  const absl::Time now = clock_();
  silo::MutexLock lock(&mu_);
  SweepLocked(now);
  if (entries_.size() >= max_entries_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("streaming: too many requests in flight (", max_entries_, ")"));
  }
  std::string token = RandomHex(16);
  // A collision of 128 random bits is not a practical concern, but never
  // overwrite someone else's request.
  while (entries_.contains(token)) token = RandomHex(16);
  entries_.emplace(token, Entry{std::move(request), now + ttl_});
  return token;
}

absl::StatusOr<StreamRequest> TokenStore::Take(const std::string& token) {
  const absl::Time now = clock_();
  silo::MutexLock lock(&mu_);
  auto it = entries_.find(token);
  if (it == entries_.end()) return absl::NotFoundError("streaming: unknown or used token");
  Entry entry = std::move(it->second);
  entries_.erase(it);
  if (entry.expires <= now) return absl::NotFoundError("streaming: token expired");
  return std::move(entry.request);
}

size_t TokenStore::size() const {
  silo::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace silo::cri::streaming
