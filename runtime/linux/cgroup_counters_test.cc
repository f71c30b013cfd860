#include "runtime/linux/cgroup_counters.h"

#include "gtest/gtest.h"
#include "runtime/stats/test_dir.h"

namespace silo::runtime::linux_backend {
namespace {

using linux_backend::CgroupMode;

TEST(FlatKeyedValueTest, FindsWholeKeysOnly) {
  uint64_t v = 7;
  EXPECT_TRUE(FlatKeyedValue("inactive_file_x 1\ninactive_file 42\n", "inactive_file", &v));
  EXPECT_EQ(v, 42u);
  EXPECT_FALSE(FlatKeyedValue("total_inactive_file 9\n", "inactive_file", &v));
  EXPECT_EQ(v, 42u);
}

TEST(CgroupCountersTest, V1SeparateHierarchies) {
  stats::testing::TempDir d;
  const std::string g = "/silo/pod/ctr";
  d.Write("cpuacct" + g + "/cpuacct.usage", "123456789\n");
  d.Write("memory" + g + "/memory.usage_in_bytes", "100000000\n");
  d.Write("memory" + g + "/memory.stat",
          "cache 5\ninactive_file 1\ntotal_inactive_file 30000000\ntotal_rss 60000000\n"
          "total_pgfault 1000\ntotal_pgmajfault 3\nhierarchical_memory_limit 9223372036854771712\n");
  d.Write("memory" + g + "/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
  d.Write("pids" + g + "/pids.current", "4\n");

  auto c = CgroupCounters(d.path(), CgroupMode::kHybrid).Read(g);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->cpu_usage_ns, 123456789u);
  ASSERT_TRUE(c->memory.has_value());
  EXPECT_EQ(c->memory->usage_bytes, 100000000u);
  EXPECT_EQ(c->memory->working_set_bytes, 70000000u);
  EXPECT_EQ(c->memory->rss_bytes, 60000000u);
  EXPECT_EQ(c->memory->page_faults, 1000u);
  EXPECT_EQ(c->memory->major_page_faults, 3u);
  EXPECT_EQ(c->memory->oom_events, 2u);
  EXPECT_EQ(c->memory->limit_bytes, 0u);  // the v1 "unlimited" value
  EXPECT_EQ(c->process_count, 4u);
}

TEST(CgroupCountersTest, V1JointCpuMountAndLimitAndMissingParts) {
  stats::testing::TempDir d;
  const std::string g = "/p";
  d.Write("cpu,cpuacct" + g + "/cpuacct.usage", "5\n");
  d.Write("memory" + g + "/memory.usage_in_bytes", "10\n");
  d.Write("memory" + g + "/memory.stat", "total_inactive_file 20\nhierarchical_memory_limit 1048576\n");
  auto c = CgroupCounters(d.path(), CgroupMode::kV1).Read(g);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->cpu_usage_ns, 5u);
  EXPECT_EQ(c->memory->working_set_bytes, 0u);  // never below zero
  EXPECT_EQ(c->memory->limit_bytes, 1048576u);
  EXPECT_FALSE(c->process_count.has_value());
}

TEST(CgroupCountersTest, V2) {
  stats::testing::TempDir d;
  const std::string g = "/silo/pod";
  d.Write(g.substr(1) + "/cpu.stat", "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");
  d.Write(g.substr(1) + "/memory.current", "4096000\n");
  d.Write(g.substr(1) + "/memory.stat", "anon 1000000\nfile 3000000\ninactive_file 96000\npgfault 77\npgmajfault 1\n");
  d.Write(g.substr(1) + "/memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
  d.Write(g.substr(1) + "/memory.max", "max\n");
  d.Write(g.substr(1) + "/pids.current", "2\n");
  auto c = CgroupCounters(d.path(), CgroupMode::kV2).Read(g);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->cpu_usage_ns, 2500000u);
  EXPECT_EQ(c->memory->usage_bytes, 4096000u);
  EXPECT_EQ(c->memory->working_set_bytes, 4000000u);
  EXPECT_EQ(c->memory->rss_bytes, 1000000u);
  EXPECT_EQ(c->memory->page_faults, 77u);
  EXPECT_EQ(c->memory->major_page_faults, 1u);
  EXPECT_EQ(c->memory->oom_events, 1u);
  EXPECT_EQ(c->memory->limit_bytes, 0u);
  EXPECT_EQ(c->process_count, 2u);
}

TEST(CgroupCountersTest, MissingGroupIsNotFound) {
  stats::testing::TempDir d;
  d.Write("memory/other/memory.usage_in_bytes", "1\n");
  EXPECT_TRUE(absl::IsNotFound(CgroupCounters(d.path(), CgroupMode::kV1).Read("/gone").status()));
  EXPECT_TRUE(absl::IsNotFound(CgroupCounters(d.path(), CgroupMode::kV2).Read("/gone").status()));
}

}  // namespace
}  // namespace silo::runtime::linux_backend
