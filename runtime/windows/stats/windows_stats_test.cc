#include "runtime/windows/stats/windows_stats.h"

#include "gtest/gtest.h"

namespace silo::runtime::windows {
namespace {

using namespace stats;  // the port's types these tests build and read

// Values shaped as a process-isolated container's Job Object reports them
// after two seconds of one busy thread plus some kernel time.
JobAccounting Job(uint64_t user_100ns, uint64_t kernel_100ns) {
  JobAccounting j;
  j.total_user_time_100ns = user_100ns;
  j.total_kernel_time_100ns = kernel_100ns;
  j.total_page_fault_count = 12345;
  j.active_processes = 3;
  j.job_memory_bytes = 300u << 20;
  j.job_memory_limit_bytes = 1u << 30;
  return j;
}

TEST(WindowsStatsTest, JobObjectCountersInPortableUnits) {
  GroupCounters g = FromJobObject(Job(15'000'000, 5'000'000), {40u << 20, 20u << 20, 4u << 20});
  EXPECT_EQ(g.cpu_usage_ns, 2'000'000'000u);  // 100 ns units -> ns
  ASSERT_TRUE(g.memory.has_value());
  EXPECT_EQ(g.memory->working_set_bytes, 64u << 20);  // private working sets summed
  EXPECT_EQ(g.memory->commit_bytes, 300u << 20);
  EXPECT_EQ(g.memory->page_faults, 12345u);
  EXPECT_EQ(g.process_count, 3u);
}

TEST(WindowsStatsTest, RateFromTwoJobSamplesStaysWithinTheCores) {
  Sample a, b;
  a.monotonic_ns = 0;
  a.group = FromJobObject(Job(10'000'000, 0), {});
  b.monotonic_ns = 2'000'000'000;
  b.group = FromJobObject(Job(25'000'000, 5'000'000), {});  // +2 s CPU in 2 s
  EXPECT_EQ(NanoCores(a, b), 1'000'000'000u);
}

TEST(WindowsStatsTest, HcsStatisticsDocument) {
  auto doc = nlohmann::json::parse(R"({
    "Timestamp": "2024-03-01T10:00:00.1234567Z",
    "ContainerStartTime": "2024-03-01T09:59:00Z",
    "Uptime100ns": 600000000,
    "Processor": {"TotalRuntime100ns": 123456789, "RuntimeUser100ns": 100000000, "RuntimeKernel100ns": 23456789},
    "Memory": {"MemoryUsageCommitBytes": 209715200, "MemoryUsageCommitPeakBytes": 314572800,
               "MemoryUsagePrivateWorkingSetBytes": 104857600},
    "Storage": {"ReadCountNormalized": 10, "ReadSizeBytes": 4096, "WriteCountNormalized": 2, "WriteSizeBytes": 8192}
  })");
  auto g = FromHcsStatistics(doc);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->cpu_usage_ns, 12'345'678'900u);
  EXPECT_EQ(g->memory->commit_bytes, 209715200u);
  EXPECT_EQ(g->memory->working_set_bytes, 104857600u);
  EXPECT_FALSE(g->process_count.has_value());

  EXPECT_FALSE(FromHcsStatistics(nlohmann::json::parse(R"({"Memory": {}})")).ok());
  EXPECT_FALSE(FromHcsStatistics(nlohmann::json::parse(R"({"Processor": {"TotalRuntime100ns": -1}, "Memory": {}})")).ok());
}

TEST(WindowsStatsTest, CriMapping) {
  ContainerStatsView c;
  c.record.id = "c1";
  c.record.metadata = {"web", 2};
  Snapshot s;
  s.last.timestamp_ns = 42;
  s.last.group = FromJobObject(Job(15'000'000, 5'000'000), {64u << 20});
  s.usage_nano_cores = 500'000'000;
  s.writable_layer = FsUsage{"C:\\ProgramData\\silo\\c1", 4096, 3, 40};
  c.stats = s;

  ::runtime::v1::WindowsContainerStats out;
  ToCriWindowsContainerStats(c, &out);
  EXPECT_EQ(out.attributes().id(), "c1");
  EXPECT_EQ(out.attributes().metadata().attempt(), 2u);
  EXPECT_EQ(out.cpu().timestamp(), 42);
  EXPECT_EQ(out.cpu().usage_core_nano_seconds().value(), 2'000'000'000u);
  EXPECT_EQ(out.cpu().usage_nano_cores().value(), 500'000'000u);
  EXPECT_EQ(out.memory().working_set_bytes().value(), 64u << 20);
  EXPECT_EQ(out.memory().commit_memory_bytes().value(), 300u << 20);
  EXPECT_EQ(out.memory().available_bytes().value(), (1u << 30) - (300u << 20));
  EXPECT_EQ(out.writable_layer().used_bytes().value(), 4096u);

  SandboxStatsView pod;
  pod.record.id = "p1";
  Snapshot ps = s;
  InterfaceCounters ep1;
  ep1.name = "ep1";
  ep1.rx_bytes = 10;
  ep1.tx_bytes = 20;
  ps.last.interfaces = {ep1};
  pod.stats = ps;
  pod.containers.push_back(c);
  ::runtime::v1::WindowsPodSandboxStats pout;
  ToCriWindowsPodSandboxStats(pod, &pout);
  EXPECT_EQ(pout.containers_size(), 1);
  EXPECT_EQ(pout.process().process_count().value(), 3u);
  EXPECT_EQ(pout.network().default_interface().name(), "ep1");
  EXPECT_EQ(pout.network().interfaces(0).rx_bytes().value(), 10u);
  EXPECT_EQ(pout.network().interfaces(0).tx_bytes().value(), 20u);

  ContainerStatsView stopped;
  stopped.record.id = "c2";
  ::runtime::v1::WindowsContainerStats sout;
  ToCriWindowsContainerStats(stopped, &sout);
  EXPECT_EQ(sout.attributes().id(), "c2");
  EXPECT_FALSE(sout.has_cpu());
}

}  // namespace
}  // namespace silo::runtime::windows
