#include "runtime/base/keyed_locks.h"

#include <utility>

namespace silo {

KeyedLocks::Entry* KeyedLocks::Ref(const std::string& key) {
  MutexLock lock(&mu_);
  std::unique_ptr<Entry>& entry = entries_[key];
  if (!entry) entry = std::make_unique<Entry>();
  ++entry->users;
  return entry.get();
}

void KeyedLocks::Unref(const std::string& key) {
  MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (--it->second->users == 0) entries_.erase(it);
}

// Which key's lock a Hold has is known only at run time, beyond what the
// static lock analysis follows: these three are exempt from it.
KeyedLocks::Hold KeyedLocks::Shared(const std::string& key) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  Entry* entry = Ref(key);
  entry->mu.ReaderLock();
  return Hold(this, key, entry, /*shared=*/true);
}

KeyedLocks::Hold KeyedLocks::Exclusive(const std::string& key) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  Entry* entry = Ref(key);
  entry->mu.Lock();
  return Hold(this, key, entry, /*shared=*/false);
}

KeyedLocks::Hold::~Hold() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  if (owner_ == nullptr) return;
  if (shared_) {
    entry_->mu.ReaderUnlock();
  } else {
    entry_->mu.Unlock();
  }
  owner_->Unref(key_);
}

KeyedLocks::Hold::Hold(Hold&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)),
      key_(std::move(other.key_)),
      entry_(other.entry_),
      shared_(other.shared_) {}

}  // namespace silo
