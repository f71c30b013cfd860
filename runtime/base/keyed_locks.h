#pragma once
// KeyedLocks: one reader/writer lock per key (a container or pod id), made
// on first use and dropped when nobody holds or awaits it, so ids that come
// and go leave nothing behind. Different keys never wait for each other.
//
// Thread-safe. A Hold must not outlive its KeyedLocks.

#include <map>
#include <memory>
#include <string>

#include "runtime/base/mutex.h"

namespace silo {

class KeyedLocks {
 private:
  struct Entry {
    Mutex mu;
    int users = 0;  // holders and waiters; guarded by KeyedLocks::mu_
  };

 public:
  // A held lock, released when the Hold goes. Movable, not copyable.
  class Hold {
   public:
    Hold(Hold&& other) noexcept;
    Hold& operator=(Hold&&) = delete;
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    ~Hold();

   private:
    friend class KeyedLocks;
    Hold(KeyedLocks* owner, std::string key, Entry* entry, bool shared)
        : owner_(owner), key_(std::move(key)), entry_(entry), shared_(shared) {}
    KeyedLocks* owner_;  // null once moved from
    std::string key_;
    Entry* entry_;
    bool shared_;
  };

  // Blocks while another thread holds `key` exclusively.
  Hold Shared(const std::string& key);
  // Blocks while any other thread holds `key`.
  Hold Exclusive(const std::string& key);

 private:
  Entry* Ref(const std::string& key);
  void Unref(const std::string& key);

  Mutex mu_;
  std::map<std::string, std::unique_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace silo
