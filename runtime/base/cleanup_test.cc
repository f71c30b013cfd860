#include "runtime/base/cleanup.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace silo {
namespace {

TEST(CleanupStackTest, RunsInReverseOnScopeExit) {
  std::vector<std::string> order;
  {
    CleanupStack stack;
    stack.Push("a", [&] { order.push_back("a"); return absl::OkStatus(); });
    stack.Push("b", [&] { order.push_back("b"); return absl::OkStatus(); });
  }
  EXPECT_EQ(order, (std::vector<std::string>{"b", "a"}));
}

TEST(CleanupStackTest, DismissKeepsWork) {
  int runs = 0;
  {
    CleanupStack stack;
    stack.Push("a", [&] { ++runs; return absl::OkStatus(); });
    stack.Dismiss();
  }
  EXPECT_EQ(runs, 0);
}

TEST(CleanupStackTest, FailedUndoDoesNotStopTheRest) {
  int runs = 0;
  CleanupStack stack;
  stack.Push("first", [&] { ++runs; return absl::OkStatus(); });
  stack.Push("second", [&] { ++runs; return absl::InternalError("boom"); });
  absl::Status s = stack.Run();
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(s.message(), "second: boom");
  EXPECT_EQ(stack.size(), 0u);
}

}  // namespace
}  // namespace silo
