#include "runtime/linux/cgroup_mode.h"

#include "gtest/gtest.h"

namespace silo::runtime::linux_backend {
namespace {

TEST(CgroupModeTest, DetectsThisHost) {
  auto mode = DetectCgroupMode();
  ASSERT_TRUE(mode.ok()) << mode.status();
  SUCCEED() << "host cgroup mode: " << CgroupModeName(*mode);
}

TEST(CgroupModeTest, PlainDirectoryIsV1AndMissingIsNotFound) {
  // /tmp is not cgroup2 and has no cgroup2 "unified" child.
  auto mode = DetectCgroupMode("/tmp");
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ(*mode, CgroupMode::kV1);
  EXPECT_EQ(DetectCgroupMode("/nonexistent/cgroup").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace silo::runtime::linux_backend
