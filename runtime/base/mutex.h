#pragma once
// silo::Mutex, silo::MutexLock, silo::ReaderMutexLock and
// silo::Notification: absl's, with their
// hand-offs made visible to ThreadSanitizer. Debian's Abseil is not built
// with TSan, so TSan cannot see absl::Mutex synchronise and reports a race
// on everything one guards. Under TSan these wrappers announce each release
// and acquire (__tsan_release / __tsan_acquire on the wrapper's address);
// in every other build they are the plain absl calls.
//
// Use them instead of absl::Mutex / absl::MutexLock / absl::Notification.
// Thread-safe, like what they wrap.

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

// GCC says -fsanitize=thread with __SANITIZE_THREAD__, clang 14 only
// through __has_feature.
#if defined(__SANITIZE_THREAD__)
#define SILO_TSAN_ANNOTATE 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SILO_TSAN_ANNOTATE 1
#endif
#endif
#ifdef SILO_TSAN_ANNOTATE
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace silo {

#ifdef SILO_TSAN_ANNOTATE
// absl's debug deadlock detector keeps its lock graph under an internal
// spin lock TSan cannot see, so nested silo::Mutex holds would report races
// inside absl. Off in TSan builds only (the ASan build keeps it).
inline const bool kAbslDeadlockGraphOff = [] {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return true;
}();
#endif

namespace tsan {
inline void Acquired(void* addr) {
#ifdef SILO_TSAN_ANNOTATE
  __tsan_acquire(addr);
#else
  (void)addr;
#endif
}
inline void Releasing(void* addr) {
#ifdef SILO_TSAN_ANNOTATE
  __tsan_release(addr);
#else
  (void)addr;
#endif
}
}  // namespace tsan

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    mu_.Lock();
    tsan::Acquired(this);
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    tsan::Releasing(this);
    mu_.Unlock();
  }
  // Shared holds: many readers at once, none while a writer holds it.
  void ReaderLock() ABSL_SHARED_LOCK_FUNCTION() {
    mu_.ReaderLock();
    tsan::Acquired(this);
  }
  void ReaderUnlock() ABSL_UNLOCK_FUNCTION() {
    tsan::Releasing(this);
    mu_.ReaderUnlock();
  }
  // The lock is given up while waiting, so the wait is a release and its
  // end an acquire. absl evaluates `cond` holding the lock, on the waiting
  // thread or on whichever thread unlocks: under TSan each evaluation is
  // bracketed as a short critical section of its own.
  void Await(const absl::Condition& cond) ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    Guarded g{&cond, this};
    tsan::Releasing(this);
    mu_.Await(Wrap(cond, &g));
    tsan::Acquired(this);
  }
  bool AwaitWithTimeout(const absl::Condition& cond, absl::Duration timeout) ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    Guarded g{&cond, this};
    tsan::Releasing(this);
    bool met = mu_.AwaitWithTimeout(Wrap(cond, &g), timeout);
    tsan::Acquired(this);
    return met;
  }
  void AssertHeld() const ABSL_ASSERT_EXCLUSIVE_LOCK() { mu_.AssertHeld(); }

 private:
  struct Guarded {
    const absl::Condition* cond;
    Mutex* mu;
  };
  static bool EvalGuarded(Guarded* g) {
    tsan::Acquired(g->mu);
    bool holds = g->cond->Eval();
    tsan::Releasing(g->mu);
    return holds;
  }
  static absl::Condition Wrap(const absl::Condition& cond, Guarded* g) {
#ifdef SILO_TSAN_ANNOTATE
    return absl::Condition(&EvalGuarded, g);
#else
    (void)g;
    return cond;
#endif
  }

  absl::Mutex mu_;
};

class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

class ABSL_SCOPED_LOCKABLE ReaderMutexLock {
 public:
  explicit ReaderMutexLock(Mutex* mu) ABSL_SHARED_LOCK_FUNCTION(mu) : mu_(mu) { mu_->ReaderLock(); }
  ~ReaderMutexLock() ABSL_UNLOCK_FUNCTION() { mu_->ReaderUnlock(); }
  ReaderMutexLock(const ReaderMutexLock&) = delete;
  ReaderMutexLock& operator=(const ReaderMutexLock&) = delete;

 private:
  Mutex* const mu_;
};

class Notification {
 public:
  Notification() = default;
  Notification(const Notification&) = delete;
  Notification& operator=(const Notification&) = delete;

  void Notify() {
    tsan::Releasing(this);
    n_.Notify();
  }
  bool HasBeenNotified() const {
    bool notified = n_.HasBeenNotified();
    if (notified) tsan::Acquired(const_cast<Notification*>(this));
    return notified;
  }
  void WaitForNotification() const {
    n_.WaitForNotification();
    tsan::Acquired(const_cast<Notification*>(this));
  }
  bool WaitForNotificationWithTimeout(absl::Duration timeout) const {
    bool notified = n_.WaitForNotificationWithTimeout(timeout);
    if (notified) tsan::Acquired(const_cast<Notification*>(this));
    return notified;
  }

 private:
  absl::Notification n_;
};

}  // namespace silo
