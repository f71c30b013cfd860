#include "cri/server/stats_convert.h"

#include <set>

#include "gtest/gtest.h"

namespace silo::cri {
namespace {

using runtime::stats::ContainerStatsView;
using runtime::stats::SandboxStatsView;
using runtime::stats::Snapshot;

Snapshot Sampled(uint64_t cpu_ns, uint64_t ws) {
  Snapshot s;
  s.last.timestamp_ns = 77;
  s.last.group.cpu_usage_ns = cpu_ns;
  runtime::stats::MemoryCounters m;
  m.usage_bytes = ws + 100;
  m.working_set_bytes = ws;
  m.rss_bytes = ws / 2;
  m.page_faults = 9;
  m.major_page_faults = 1;
  m.limit_bytes = ws * 4;
  s.last.group.memory = m;
  s.last.group.process_count = 2;
  return s;
}

ContainerStatsView Container(const std::string& id, std::optional<Snapshot> s) {
  ContainerStatsView v;
  v.record.id = id;
  v.record.metadata = {"name-" + id, 1};
  v.record.image_ref = "busybox:v1";
  v.record.labels = {{"app", id}};
  v.stats = std::move(s);
  return v;
}

TEST(StatsConvertTest, ContainerStats) {
  Snapshot s = Sampled(3'000'000'000, 1000);
  s.usage_nano_cores = 990'000'000;
  s.writable_layer = runtime::stats::FsUsage{"/var/lib/silo/containers/c1/upper", 8192, 5, 60};
  ::runtime::v1::ContainerStats out;
  ToCriContainerStats(Container("c1", s), &out);
  EXPECT_EQ(out.attributes().id(), "c1");
  EXPECT_EQ(out.attributes().metadata().name(), "name-c1");
  EXPECT_EQ(out.attributes().labels().at("app"), "c1");
  EXPECT_EQ(out.cpu().timestamp(), 77);
  EXPECT_EQ(out.cpu().usage_core_nano_seconds().value(), 3'000'000'000u);
  EXPECT_EQ(out.cpu().usage_nano_cores().value(), 990'000'000u);
  EXPECT_EQ(out.memory().working_set_bytes().value(), 1000u);
  EXPECT_EQ(out.memory().available_bytes().value(), 3000u);
  EXPECT_EQ(out.memory().usage_bytes().value(), 1100u);
  EXPECT_EQ(out.memory().rss_bytes().value(), 500u);
  EXPECT_EQ(out.memory().page_faults().value(), 9u);
  EXPECT_EQ(out.memory().major_page_faults().value(), 1u);
  EXPECT_EQ(out.writable_layer().fs_id().mountpoint(), "/var/lib/silo/containers/c1/upper");
  EXPECT_EQ(out.writable_layer().used_bytes().value(), 8192u);
  EXPECT_EQ(out.writable_layer().inodes_used().value(), 5u);
}

TEST(StatsConvertTest, OneSampleHasNoRateAndStoppedHasNoUsage) {
  ::runtime::v1::ContainerStats one;
  ToCriContainerStats(Container("c1", Sampled(5, 5)), &one);
  EXPECT_TRUE(one.has_cpu());
  EXPECT_FALSE(one.cpu().has_usage_nano_cores());  // never a rate from one sample
  ::runtime::v1::ContainerStats stopped;
  ToCriContainerStats(Container("c2", std::nullopt), &stopped);
  EXPECT_EQ(stopped.attributes().id(), "c2");
  EXPECT_FALSE(stopped.has_cpu());
  EXPECT_FALSE(stopped.has_memory());
}

SandboxStatsView Pod() {
  SandboxStatsView v;
  v.record.id = "p1";
  v.record.metadata.name = "pod";
  v.record.metadata.namespace_ = "ns";
  v.record.metadata.uid = "u";
  Snapshot s = Sampled(10, 2000);
  runtime::stats::InterfaceCounters lo_less;
  lo_less.name = "net1";
  lo_less.rx_bytes = 1;
  runtime::stats::InterfaceCounters eth0;
  eth0.name = "eth0";
  eth0.rx_bytes = 100;
  eth0.tx_bytes = 200;
  s.last.interfaces = {lo_less, eth0};
  v.stats = s;
  v.containers = {Container("c1", Sampled(4, 1000)), Container("c2", Sampled(5, 900))};
  return v;
}

TEST(StatsConvertTest, PodSandboxStats) {
  ::runtime::v1::PodSandboxStats out;
  ToCriPodSandboxStats(Pod(), &out);
  EXPECT_EQ(out.attributes().metadata().namespace_(), "ns");
  EXPECT_EQ(out.linux().cpu().usage_core_nano_seconds().value(), 10u);
  EXPECT_EQ(out.linux().process().process_count().value(), 2u);
  EXPECT_EQ(out.linux().network().default_interface().name(), "eth0");
  EXPECT_EQ(out.linux().network().default_interface().tx_bytes().value(), 200u);
  EXPECT_EQ(out.linux().network().interfaces_size(), 2);
  ASSERT_EQ(out.linux().containers_size(), 2);
  EXPECT_EQ(out.linux().containers(1).attributes().id(), "c2");
}

// A pod of a Windows handler: the `windows` message, which kubelet on
// Windows reads, with commit memory and dropped packets.
TEST(StatsConvertTest, WindowsPodSandboxStats) {
  SandboxStatsView pod = Pod();
  pod.format = runtime::stats::StatsFormat::kWindows;
  pod.stats->last.group.memory->commit_bytes = 4096;
  pod.stats->last.interfaces[1].rx_dropped = 3;
  ::runtime::v1::PodSandboxStats out;
  ToCriPodSandboxStats(pod, &out);
  EXPECT_FALSE(out.has_linux());
  EXPECT_EQ(out.attributes().id(), "p1");
  EXPECT_EQ(out.windows().cpu().usage_core_nano_seconds().value(), 10u);
  EXPECT_EQ(out.windows().memory().working_set_bytes().value(), 2000u);
  EXPECT_EQ(out.windows().memory().commit_memory_bytes().value(), 4096u);
  EXPECT_EQ(out.windows().process().process_count().value(), 2u);
  ASSERT_EQ(out.windows().network().interfaces_size(), 2);
  EXPECT_EQ(out.windows().network().interfaces(1).rx_packets_dropped().value(), 3u);
  // A pod's total is summed: no limit to subtract it from.
  EXPECT_FALSE(out.windows().memory().has_available_bytes());
  ASSERT_EQ(out.windows().containers_size(), 2);
  EXPECT_EQ(out.windows().containers(1).attributes().id(), "c2");
  EXPECT_EQ(out.windows().containers(0).cpu().usage_core_nano_seconds().value(), 4u);
  EXPECT_EQ(out.windows().containers(0).memory().working_set_bytes().value(), 1000u);
}

TEST(StatsConvertTest, MetricsUseDescribedNamesAndLabelArity) {
  std::map<std::string, int> arity;
  for (const auto& d : StatsMetricDescriptors()) arity[d.name()] = d.label_keys_size();
  for (const char* name : {"container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
                           "container_memory_usage_bytes", "container_network_receive_bytes_total",
                           "container_network_transmit_bytes_total"}) {
    EXPECT_TRUE(arity.count(name)) << name;
  }
  ::runtime::v1::PodSandboxMetrics out;
  ToCriPodSandboxMetrics(Pod(), &out);
  EXPECT_EQ(out.pod_sandbox_id(), "p1");
  ASSERT_EQ(out.container_metrics_size(), 2);
  std::set<std::string> seen;
  auto check = [&](const ::runtime::v1::Metric& m) {
    ASSERT_TRUE(arity.count(m.name())) << "undescribed metric " << m.name();
    EXPECT_EQ(m.label_values_size(), arity[m.name()]) << m.name();
    seen.insert(m.name());
  };
  for (const auto& m : out.metrics()) check(m);
  for (const auto& c : out.container_metrics()) {
    for (const auto& m : c.metrics()) check(m);
  }
  EXPECT_TRUE(seen.count("container_network_receive_bytes_total"));
  for (const auto& m : out.container_metrics(0).metrics()) {
    if (m.name() == "container_memory_working_set_bytes") {
      EXPECT_EQ(m.value().value(), 1000u);
      EXPECT_EQ(m.label_values(0), "c1");
      EXPECT_EQ(m.label_values(2), "busybox:v1");
      EXPECT_EQ(m.metric_type(), ::runtime::v1::GAUGE);
    }
  }
}

}  // namespace
}  // namespace silo::cri
