#include "runtime/windows/hypervisor/cleanup_stack.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace silo::runtime::windows::hypervisor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(CleanupStackTest, UnwindRunsLastPushedFirstAndEmpties) {
  std::vector<int> ran;
  CleanupStack stack;
  for (int i = 1; i <= 3; ++i) {
    stack.Push("step " + std::to_string(i), [&ran, i] {
      ran.push_back(i);
      return absl::OkStatus();
    });
  }
  EXPECT_TRUE(stack.Unwind().ok());
  EXPECT_THAT(ran, ElementsAre(3, 2, 1));
  EXPECT_TRUE(stack.empty());
  EXPECT_TRUE(stack.Unwind().ok());
  EXPECT_THAT(ran, ElementsAre(3, 2, 1));
}

TEST(CleanupStackTest, EveryActionRunsDespiteFailuresAndAllAreNamed) {
  std::vector<int> ran;
  CleanupStack stack;
  stack.Push("revoking", [&] {
    ran.push_back(1);
    return absl::OkStatus();
  });
  stack.Push("terminating", [&] {
    ran.push_back(2);
    return absl::UnavailableError("timeout");
  });
  stack.Push("detaching", [&] {
    ran.push_back(3);
    return absl::InternalError("busy");
  });
  absl::Status s = stack.Unwind();
  EXPECT_THAT(ran, ElementsAre(3, 2, 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);  // the first failure's code
  EXPECT_THAT(s.message(), HasSubstr("detaching: busy"));
  EXPECT_THAT(s.message(), HasSubstr("terminating: timeout"));
}

TEST(CleanupStackTest, RollbackKeepsTheFailureAndAppendsUndoFailures) {
  CleanupStack clean;
  clean.Push("a", [] { return absl::OkStatus(); });
  absl::Status s = clean.Rollback(absl::NotFoundError("no layer"));
  EXPECT_EQ(s, absl::NotFoundError("no layer"));
  CleanupStack dirty;
  dirty.Push("detaching", [] { return absl::InternalError("busy"); });
  s = dirty.Rollback(absl::NotFoundError("no layer"));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("no layer; rolling back: cleanup failed: detaching: busy"));
  EXPECT_TRUE(dirty.empty());
}

TEST(CleanupStackTest, DestructorUnwindsUnlessDismissed) {
  int ran = 0;
  {
    CleanupStack stack;
    stack.Push("a", [&] {
      ++ran;
      return absl::OkStatus();
    });
  }
  EXPECT_EQ(ran, 1);
  {
    CleanupStack stack;
    stack.Push("a", [&] {
      ++ran;
      return absl::OkStatus();
    });
    stack.Dismiss();
  }
  EXPECT_EQ(ran, 1);
}

}  // namespace
}  // namespace silo::runtime::windows::hypervisor
