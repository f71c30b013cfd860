// Windows pod statistics through the sampler: the real stores and sampler,
// WindowsStatsSource over recorded job counters and the HCN fake. A pod's
// totals are its pause container plus its running containers (containerd's
// Windows podSandboxStats), never the pod Job Object's near-zero accounting.
#include "runtime/windows/stats/windows_stats_source.h"

#include <map>
#include <mutex>

#include "cri/api/cri.h"
#include "gtest/gtest.h"
#include "network/hns/fake/fake_hcn.h"
#include "network/hns/guid.h"
#include "runtime/stats/stats_sampler.h"
#include "runtime/stats/test_stores.h"
#include "runtime/windows/stats/windows_stats.h"

namespace silo::runtime::windows {
namespace {

using namespace stats;  // the port's types these tests build and read

GroupCounters Job(uint64_t cpu_ns, uint64_t working_set, uint64_t commit, uint64_t faults, uint64_t processes) {
  GroupCounters g;
  g.cpu_usage_ns = cpu_ns;
  MemoryCounters m;
  m.working_set_bytes = working_set;
  m.commit_bytes = commit;
  m.usage_bytes = commit;
  m.page_faults = faults;
  g.memory = m;
  g.process_count = processes;
  return g;
}

class WindowsPodStatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(stores_.Open().ok());
    WindowsStatsSourceOptions o;
    o.read_job = [this](const std::string& name) -> absl::StatusOr<GroupCounters> {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = jobs_.find(name);
      if (it == jobs_.end()) return absl::NotFoundError("no job " + name);
      return it->second;
    };
    o.hcn = &hcn_.api();
    source_ = std::make_unique<WindowsStatsSource>(o);
    SamplerOptions options;
    options.monotonic_now_ns = [this] { return now_ns_.load(); };
    sampler_ = std::make_unique<StatsSampler>(options, stores_.containers.get(), stores_.sandboxes.get(),
                                              source_.get());

    net_ = hcn_.AddNetwork("cbr0", "L2Bridge");
    ns_ = hcn_.AddNamespace("Host");
  }

  void AddPod(const std::string& id, const std::string& pause_id, const std::string& netns) {
    model::SandboxRecord s;
    s.id = id;
    s.metadata.name = id;
    s.state = model::SandboxState::kReady;
    s.cgroup_path = "silo-pod-" + id;  // the pod's own Job Object
    s.netns_path = netns;
    if (!pause_id.empty()) s.platform_data[kPauseSystemIdKey] = pause_id;
    ASSERT_TRUE(stores_.sandboxes->Add(s).ok());
  }

  // HostProcess: no pause compute system, no network namespace.
  void AddHostProcessPod(const std::string& id) {
    model::SandboxRecord s;
    s.id = id;
    s.metadata.name = id;
    s.state = model::SandboxState::kReady;
    s.cgroup_path = "silo-pod-" + id;
    s.handler_type = "hostprocess";
    ASSERT_TRUE(stores_.sandboxes->Add(s).ok());
  }

  void AddContainer(const std::string& id, const std::string& pod, bool running) {
    model::ContainerRecord c;
    c.id = id;
    c.sandbox_id = pod;
    c.metadata = {"name-" + id, 0};
    c.created_at_ns = 1;
    c.started_at_ns = 2;
    if (!running) c.finished_at_ns = 3;
    ASSERT_TRUE(stores_.containers->Add(c).ok());
  }

  void SetJob(const std::string& name, GroupCounters g) {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_[name] = g;
  }

  SandboxStatsView Pod(const std::string& id) {
    absl::StatusOr<SandboxStatsView> v = sampler_->Sandbox(id);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : SandboxStatsView{};
  }

  testing::TestStores stores_;
  network::hns::fake::FakeHcn hcn_;
  std::string net_, ns_;
  std::mutex mu_;
  std::map<std::string, GroupCounters> jobs_;
  std::atomic<int64_t> now_ns_{1'000'000'000};
  std::unique_ptr<WindowsStatsSource> source_;
  std::unique_ptr<StatsSampler> sampler_;
};

TEST_F(WindowsPodStatsTest, ContainersAreReadFromTheirHcsSiloJobs) {
  model::SandboxRecord pod;
  pod.platform_data[kPauseSystemIdKey] = "pause1";
  EXPECT_EQ(source_->ContainerGroup(pod, "c1"), "\\Container_c1");
  EXPECT_EQ(source_->SandboxGroup(pod), "\\Container_pause1");
  EXPECT_EQ(source_->SandboxGroup(model::SandboxRecord{}), "");
  EXPECT_FALSE(source_->SandboxGroupHoldsContainers());
}

TEST_F(WindowsPodStatsTest, HostProcessContainersAreReadFromTheirOwnJobs) {
  model::SandboxRecord by_type;
  by_type.handler_type = "hostprocess";
  EXPECT_EQ(source_->ContainerGroup(by_type, "c1"), "silo-hpc-c1");

  // kubelet sends HostProcess pods to the default handler with the flag set.
  model::SandboxRecord by_flag;
  by_flag.handler_type = "process";
  ::runtime::v1::PodSandboxConfig config;
  config.mutable_windows()->mutable_security_context()->set_host_process(true);
  by_flag.SetConfig(config);
  EXPECT_EQ(source_->ContainerGroup(by_flag, "c2"), "silo-hpc-c2");

  model::SandboxRecord process;
  process.handler_type = "process";
  process.SetConfig(::runtime::v1::PodSandboxConfig{});
  EXPECT_EQ(source_->ContainerGroup(process, "c3"), "\\Container_c3");
}

TEST_F(WindowsPodStatsTest, PodTotalsAreThePauseContainerPlusRunningContainers) {
  AddPod("pod1", "pause1", "");
  AddContainer("c1", "pod1", true);
  AddContainer("c2", "pod1", true);
  AddContainer("init", "pod1", false);  // exited: not part of the total
  SetJob("silo-pod-pod1", Job(1'000, 4096, 4096, 1, 0));  // holds none of the containers
  SetJob("\\Container_pause1", Job(1'000'000'000, 10u << 20, 20u << 20, 100, 1));
  SetJob("\\Container_c1", Job(2'000'000'000, 100u << 20, 150u << 20, 1000, 2));
  SetJob("\\Container_c2", Job(3'000'000'000, 50u << 20, 60u << 20, 500, 3));
  SetJob("\\Container_init", Job(7'000'000'000, 1u << 20, 1u << 20, 7, 1));

  sampler_->SampleNow();
  SandboxStatsView pod = Pod("pod1");
  ASSERT_TRUE(pod.stats.has_value());
  const GroupCounters& g = pod.stats->last.group;
  EXPECT_EQ(g.cpu_usage_ns, 6'000'000'000u);
  ASSERT_TRUE(g.memory.has_value());
  EXPECT_EQ(g.memory->working_set_bytes, 160u << 20);
  EXPECT_EQ(g.memory->commit_bytes, 230u << 20);
  EXPECT_EQ(g.memory->page_faults, 1600u);
  EXPECT_EQ(g.process_count, 6u);
  EXPECT_EQ(pod.containers.size(), 2u);

  // The pod's rate is the rate of the sum.
  SetJob("\\Container_c1", Job(2'500'000'000, 100u << 20, 150u << 20, 1000, 2));
  SetJob("\\Container_c2", Job(3'500'000'000, 50u << 20, 60u << 20, 500, 3));
  now_ns_ += 1'000'000'000;
  sampler_->SampleNow();
  pod = Pod("pod1");
  ASSERT_TRUE(pod.stats.has_value());
  EXPECT_EQ(pod.stats->usage_nano_cores, 1'000'000'000u);

  ::runtime::v1::WindowsPodSandboxStats cri;
  ToCriWindowsPodSandboxStats(pod, &cri);
  EXPECT_EQ(cri.cpu().usage_core_nano_seconds().value(), 7'000'000'000u);
  EXPECT_EQ(cri.memory().working_set_bytes().value(), 160u << 20);
  EXPECT_EQ(cri.process().process_count().value(), 6u);
}

TEST_F(WindowsPodStatsTest, SummedPodsReportNoAvailableBytes) {
  AddPod("pod3", "pause3", "");
  AddContainer("c3", "pod3", true);
  GroupCounters pause = Job(1'000, 10u << 20, 20u << 20, 1, 1);
  pause.memory->limit_bytes = 1u << 30;  // the pause job's own limit
  SetJob("\\Container_pause3", pause);
  GroupCounters c3 = Job(1'000, 100u << 20, 150u << 20, 1, 1);
  c3.memory->limit_bytes = 512u << 20;
  SetJob("\\Container_c3", c3);
  sampler_->SampleNow();
  SandboxStatsView pod = Pod("pod3");
  ASSERT_TRUE(pod.stats.has_value());

  ::runtime::v1::WindowsPodSandboxStats cri;
  ToCriWindowsPodSandboxStats(pod, &cri);
  EXPECT_EQ(cri.memory().commit_memory_bytes().value(), 170u << 20);
  EXPECT_FALSE(cri.memory().has_available_bytes());
  // A container still reports its own job's headroom.
  ASSERT_EQ(cri.containers_size(), 1);
  EXPECT_EQ(cri.containers(0).memory().available_bytes().value(), (512u << 20) - (150u << 20));
}

TEST_F(WindowsPodStatsTest, PodWithoutPauseContainerTotalsItsContainers) {
  AddHostProcessPod("hpc");
  AddContainer("h1", "hpc", true);
  SetJob("silo-hpc-h1", Job(5'000, 1u << 20, 2u << 20, 3, 1));
  SetJob("\\Container_h1", Job(9'000, 9u << 20, 9u << 20, 9, 9));  // not a HostProcess container's job
  sampler_->SampleNow();
  SandboxStatsView pod = Pod("hpc");
  ASSERT_TRUE(pod.stats.has_value());
  EXPECT_EQ(pod.stats->last.group.cpu_usage_ns, 5'000u);
  EXPECT_EQ(pod.stats->last.group.process_count, 1u);
}

TEST_F(WindowsPodStatsTest, PodWhosePauseJobIsGoneIsNotReported) {
  AddPod("pod2", "pause2", "");
  AddContainer("c9", "pod2", true);
  SetJob("\\Container_c9", Job(5'000, 1u << 20, 2u << 20, 3, 1));
  sampler_->SampleNow();
  EXPECT_FALSE(Pod("pod2").stats.has_value());
}

TEST_F(WindowsPodStatsTest, PodNetworkStatsComeFromItsNamespaceEndpoints) {
  const std::string a = hcn_.AddEndpoint(net_, "pod1_cbr0", "10.0.0.2", 24, ns_);
  const std::string b = hcn_.AddEndpoint(net_, "pod1_second", "10.0.1.2", 24, ns_);
  (void)hcn_.AddEndpoint(net_, "other_pod", "10.0.0.3", 24);
  hcn_.SetEndpointStats(a, network::hns::fake::EndpointCounters(1000, 2000, 0, 0, 3, 4));
  hcn_.SetEndpointStats(b, network::hns::fake::EndpointCounters(5, 6, 0, 0, 0, 0));
  AddPod("pod1", "pause1", ns_);
  SetJob("\\Container_pause1", Job(1, 1, 1, 1, 1));
  sampler_->SampleNow();
  SandboxStatsView pod = Pod("pod1");
  ASSERT_TRUE(pod.stats.has_value());
  ASSERT_EQ(pod.stats->last.interfaces.size(), 2u);

  ::runtime::v1::WindowsPodSandboxStats cri;
  ToCriWindowsPodSandboxStats(pod, &cri);
  ASSERT_EQ(cri.network().interfaces_size(), 2);
  const auto& first = cri.network().interfaces(0);
  EXPECT_EQ(network::hns::CanonicalGuid(first.name()), a);
  EXPECT_EQ(first.rx_bytes().value(), 1000u);
  EXPECT_EQ(first.tx_bytes().value(), 2000u);
  EXPECT_EQ(first.rx_packets_dropped().value(), 3u);
  EXPECT_EQ(first.tx_packets_dropped().value(), 4u);
  EXPECT_EQ(cri.network().default_interface().name(), first.name());
  EXPECT_EQ(cri.network().interfaces(1).rx_bytes().value(), 5u);
  EXPECT_EQ(hcn_.outstanding_strings(), 0);
  EXPECT_EQ(hcn_.open_handles(), 0);
}

}  // namespace
}  // namespace silo::runtime::windows
