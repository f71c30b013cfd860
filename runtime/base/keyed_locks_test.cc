#include "runtime/base/keyed_locks.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace silo {
namespace {

TEST(KeyedLocksTest, AnExclusiveHoldShutsOutEveryOtherHolderOfItsKeyOnly) {
  KeyedLocks locks;
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        if (t % 2 == 0) {
          KeyedLocks::Hold hold = locks.Exclusive("pod");
          if (inside.fetch_add(1) != 0) overlapped = true;
          inside.fetch_sub(1);
        } else {
          KeyedLocks::Hold hold = locks.Shared("pod");
          inside.fetch_add(100);
          if (inside.load() % 100 != 0) overlapped = true;  // an exclusive holder is inside
          inside.fetch_sub(100);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_FALSE(overlapped);
  // Another key is free while "pod" is held.
  KeyedLocks::Hold pod = locks.Exclusive("pod");
  KeyedLocks::Hold other = locks.Exclusive("other");
}

TEST(KeyedLocksTest, SharedHoldsOfOneKeyRunTogether) {
  KeyedLocks locks;
  KeyedLocks::Hold first = locks.Shared("pod");
  Notification second_in;
  std::thread t([&] {
    KeyedLocks::Hold second = locks.Shared("pod");
    second_in.Notify();
  });
  EXPECT_TRUE(second_in.WaitForNotificationWithTimeout(absl::Seconds(30)));
  t.join();
}

TEST(KeyedLocksTest, AMovedHoldReleasesOnceAndTheKeyCanBeTakenAgain) {
  KeyedLocks locks;
  {
    KeyedLocks::Hold hold = locks.Exclusive("c");
    KeyedLocks::Hold moved = std::move(hold);
  }
  KeyedLocks::Hold again = locks.Exclusive("c");
}

}  // namespace
}  // namespace silo
