#include "runtime/linux/cgroup_oom.h"

#include <stdlib.h>

#include <filesystem>

#include "gtest/gtest.h"
#include "runtime/base/file_util.h"

namespace silo::runtime::linux_backend {
namespace {

class CgroupOomTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/silo-oom-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string root_;
};

TEST(ParseOomKillCountTest, ReadsTheOomKillLine) {
  EXPECT_EQ(ParseOomKillCount("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n").value(), 3u);
  EXPECT_EQ(ParseOomKillCount("low 0\nhigh 0\nmax 7\noom 2\noom_kill 1\noom_group_kill 0\n").value(), 1u);
  EXPECT_EQ(ParseOomKillCount("oom_kill_disable 0\nunder_oom 0\n").value(), 0u);  // old kernels
  EXPECT_EQ(ParseOomKillCount("oom_kill x\n").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(CgroupOomTest, ReadsV1MemoryOomControl) {
  ASSERT_TRUE(MakeDirs(root_ + "/memory/silo/pod/ctr").ok());
  ASSERT_TRUE(AtomicWriteFile(root_ + "/memory/silo/pod/ctr/memory.oom_control",
                              "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
                  .ok());
  EXPECT_EQ(ReadOomKillCount(root_, "/silo/pod/ctr").value(), 2u);
  EXPECT_EQ(ReadOomKillCount(root_, "/silo/pod/gone").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(CgroupOomTest, ReadsV2MemoryEvents) {
  ASSERT_TRUE(AtomicWriteFile(root_ + "/cgroup.controllers", "cpu memory pids\n").ok());
  ASSERT_TRUE(MakeDirs(root_ + "/silo/pod/ctr").ok());
  ASSERT_TRUE(AtomicWriteFile(root_ + "/silo/pod/ctr/memory.events", "low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\n").ok());
  EXPECT_EQ(ReadOomKillCount(root_, "/silo/pod/ctr").value(), 1u);
}

}  // namespace
}  // namespace silo::runtime::linux_backend
