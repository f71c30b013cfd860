#include "image/content/single_flight.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "runtime/base/mutex.h"
#include "gtest/gtest.h"

namespace silo::image::content {
namespace {

// Spins (yielding) until `pred` holds; termination depends on state, not time.
template <typename Pred>
void WaitUntil(Pred pred) {
  while (!pred()) std::this_thread::yield();
}

TEST(SingleFlightTest, ConcurrentCallersShareOneExecution) {
  SingleFlight<std::string, int> flight;
  constexpr int kCallers = 8;
  std::atomic<int> executions{0};
  silo::Notification release;
  std::vector<int> results(kCallers, -1);
  std::vector<char> shared(kCallers, 0);  // not vector<bool>: its elements share words across threads
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      bool s = false;
      results[i] = flight.Do(
          "layer",
          [&] {
            executions.fetch_add(1);
            release.WaitForNotification();
            return 42;
          },
          &s);
      shared[i] = s;
    });
  }
  // Every caller has joined the one in-flight call before it is allowed to finish.
  WaitUntil([&] { return flight.Callers("layer") == kCallers; });
  release.Notify();
  for (auto& t : threads) t.join();
  EXPECT_EQ(executions.load(), 1);
  int leaders = 0;
  for (int i = 0; i < kCallers; ++i) {
    EXPECT_EQ(results[i], 42);
    if (!shared[i]) ++leaders;
  }
  EXPECT_EQ(leaders, 1);
  EXPECT_EQ(flight.InFlight(), 0u);
  EXPECT_EQ(flight.Callers("layer"), 0u);
}

TEST(SingleFlightTest, DistinctKeysRunIndependently) {
  SingleFlight<int, int> flight;
  silo::Notification release_a;
  std::thread a([&] {
    EXPECT_EQ(flight.Do(1, [&] {
      release_a.WaitForNotification();
      return 10;
    }),
              10);
  });
  WaitUntil([&] { return flight.Callers(1) == 1; });
  // Key 2 completes while key 1 is still blocked: no cross-key serialisation.
  bool shared = true;
  EXPECT_EQ(flight.Do(2, [] { return 20; }, &shared), 20);
  EXPECT_FALSE(shared);
  EXPECT_EQ(flight.InFlight(), 1u);
  release_a.Notify();
  a.join();
  EXPECT_EQ(flight.InFlight(), 0u);
}

TEST(SingleFlightTest, SequentialCallsRunAgain) {
  SingleFlight<std::string, int> flight;
  int executions = 0;
  auto fn = [&] { return ++executions; };
  EXPECT_EQ(flight.Do("k", fn), 1);
  EXPECT_EQ(flight.Do("k", fn), 2);
  EXPECT_EQ(executions, 2);
}

TEST(SingleFlightTest, ResultIsCopiedToEveryWaiter) {
  SingleFlight<int, std::vector<std::string>> flight;
  silo::Notification release;
  std::vector<std::string> r1, r2;
  std::thread t1([&] {
    r1 = flight.Do(7, [&] {
      release.WaitForNotification();
      return std::vector<std::string>{"a", "b"};
    });
  });
  WaitUntil([&] { return flight.Callers(7) == 1; });
  std::thread t2([&] { r2 = flight.Do(7, [] { return std::vector<std::string>{"wrong"}; }); });
  WaitUntil([&] { return flight.Callers(7) == 2; });
  release.Notify();
  t1.join();
  t2.join();
  EXPECT_EQ(r1, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r2, r1);
}

}  // namespace
}  // namespace silo::image::content
