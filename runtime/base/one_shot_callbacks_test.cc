#include "runtime/base/one_shot_callbacks.h"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace silo {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(OneShotCallbacksTest, FiredCallbacksRunOnceInOrderOnTheirOwnThread) {
  OneShotCallbacks callbacks;
  std::vector<int> order;
  std::promise<std::thread::id> last;
  const uint64_t a = callbacks.Add([&] { order.push_back(1); });
  const uint64_t b = callbacks.Add([&] {
    order.push_back(2);
    last.set_value(std::this_thread::get_id());
  });
  EXPECT_EQ(callbacks.size(), 2u);
  callbacks.Fire(a);
  callbacks.Fire(a);  // a second fire of the same token runs nothing more
  callbacks.Fire(b);
  auto ran_on = last.get_future();
  ASSERT_EQ(ran_on.wait_for(seconds(5)), std::future_status::ready);
  EXPECT_NE(ran_on.get(), std::this_thread::get_id());
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(callbacks.size(), 0u);
}

TEST(OneShotCallbacksTest, ACancelledCallbackNeverRuns) {
  OneShotCallbacks callbacks;
  std::atomic<int> runs{0};
  const uint64_t token = callbacks.Add([&] { ++runs; });
  callbacks.Cancel(token);
  callbacks.Fire(token);
  std::promise<void> flushed;  // callbacks run in firing order: this one comes after
  callbacks.Fire(callbacks.Add([&] { flushed.set_value(); }));
  flushed.get_future().wait();
  EXPECT_EQ(runs.load(), 0);
  EXPECT_EQ(callbacks.size(), 0u);
}

TEST(OneShotCallbacksTest, CancelWaitsForARunningCallbackAndACallbackMayCancelItself) {
  OneShotCallbacks callbacks;
  std::promise<void> entered;
  std::atomic<bool> finished{false};
  uint64_t self = 0;
  self = callbacks.Add([&] {
    callbacks.Cancel(self);  // must not wait for itself
    entered.set_value();
    std::this_thread::sleep_for(milliseconds(200));
    finished = true;
  });
  callbacks.Fire(self);
  entered.get_future().wait();
  callbacks.Cancel(self);
  EXPECT_TRUE(finished.load()) << "Cancel returned while the callback still ran";
}

TEST(OneShotCallbacksTest, DestructionDropsWhatHasNotRun) {
  std::atomic<int> runs{0};
  {
    OneShotCallbacks callbacks;
    for (int i = 0; i < 3; ++i) callbacks.Add([&] { ++runs; });
  }
  EXPECT_EQ(runs.load(), 0);
}

}  // namespace
}  // namespace silo
