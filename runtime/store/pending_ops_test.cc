#include "runtime/store/pending_ops.h"

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace silo::runtime::store {
namespace {

using namespace std::chrono_literals;

// Waits (without sleeping) until `cond` holds, failing after a generous bound.
template <typename F>
bool WaitFor(F cond) {
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(PendingOpsTest, ConcurrentCallersShareOneRun) {
  PendingOps<std::string> ops;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> runs{0};
  auto op = [&]() -> absl::StatusOr<std::string> {
    ++runs;
    released.wait();
    return std::string("sandbox-1");
  };

  constexpr int kCallers = 5;
  std::vector<std::future<absl::StatusOr<std::string>>> results;
  results.push_back(std::async(std::launch::async, [&] { return ops.Run("pod", op); }));
  ASSERT_TRUE(WaitFor([&] { return ops.InFlight("pod"); }));
  for (int i = 1; i < kCallers; ++i) {
    results.push_back(std::async(std::launch::async, [&] { return ops.Run("pod", op); }));
  }
  ASSERT_TRUE(WaitFor([&] { return ops.Waiters("pod") == kCallers - 1; }));
  // A different key is not held up by "pod".
  EXPECT_EQ(*ops.Run("other", [] { return absl::StatusOr<std::string>("x"); }), "x");

  release.set_value();
  for (auto& f : results) {
    absl::StatusOr<std::string> r = f.get();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, "sandbox-1");
  }
  EXPECT_EQ(runs.load(), 1);
  EXPECT_FALSE(ops.InFlight("pod"));
}

TEST(PendingOpsTest, WaitersShareAnErrorButARetryRunsAgain) {
  PendingOps<int> ops(10s);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> runs{0};
  auto failing = [&]() -> absl::StatusOr<int> {
    ++runs;
    released.wait();
    return absl::UnavailableError("cni busy");
  };
  auto first = std::async(std::launch::async, [&] { return ops.Run("k", failing); });
  ASSERT_TRUE(WaitFor([&] { return ops.InFlight("k"); }));
  auto second = std::async(std::launch::async, [&] { return ops.Run("k", failing); });
  ASSERT_TRUE(WaitFor([&] { return ops.Waiters("k") == 1; }));
  release.set_value();
  EXPECT_EQ(first.get().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(second.get().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(runs.load(), 1);

  EXPECT_EQ(*ops.Run("k", [] { return absl::StatusOr<int>(7); }), 7);
}

TEST(PendingOpsTest, SuccessIsKeptForTheTtlOnly) {
  std::chrono::steady_clock::time_point now{};
  PendingOps<int> ops(5s, [&] { return now; });
  int runs = 0;
  auto op = [&]() -> absl::StatusOr<int> { return ++runs; };
  EXPECT_EQ(*ops.Run("k", op), 1);
  now += 4s;
  EXPECT_EQ(*ops.Run("k", op), 1);  // a retry right after completion: same answer
  now += 2s;
  EXPECT_EQ(*ops.Run("k", op), 2);  // expired: runs again
  ops.Forget("k");
  EXPECT_EQ(*ops.Run("k", op), 3);
}

TEST(PendingOpsTest, WithoutTtlEveryCallAfterCompletionRunsAgain) {
  PendingOps<int> ops;
  int runs = 0;
  auto op = [&]() -> absl::StatusOr<int> { return ++runs; };
  EXPECT_EQ(*ops.Run("k", op), 1);
  EXPECT_EQ(*ops.Run("k", op), 2);
}

TEST(PendingOpsTest, AThrowingOperationBecomesInternal) {
  PendingOps<int> ops;
  absl::StatusOr<int> r =
      ops.Run("k", []() -> absl::StatusOr<int> { throw std::runtime_error("boom"); });
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(r.status().message().find("boom"), absl::string_view::npos);
  EXPECT_FALSE(ops.InFlight("k"));
}

}  // namespace
}  // namespace silo::runtime::store
