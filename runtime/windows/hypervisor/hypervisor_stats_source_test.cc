// Stats of Hyper-V isolated pods through HCS properties over the strict
// fake: the VM's CPU and assigned memory are the pod's totals, a hosted
// container's come from its Statistics, a gone system is NotFound.
#include "runtime/windows/hypervisor/hypervisor_stats_source.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/hypervisor/testing_uvm.h"

namespace silo::runtime::windows::hypervisor {
namespace {

using ::testing::HasSubstr;

// What the pod's network and writable layer come from (not read here).
class NoOtherStats final : public stats::StatsSource {
 public:
  std::string ContainerGroup(const model::SandboxRecord&, const std::string&) const override { return ""; }
  absl::StatusOr<stats::GroupCounters> ReadGroup(const std::string&) override { return absl::UnimplementedError(""); }
  absl::StatusOr<std::vector<stats::InterfaceCounters>> ReadNetwork(const std::string& netns) override {
    return std::vector<stats::InterfaceCounters>{{netns, 1, 2, 0, 0, 0, 0}};
  }
  absl::StatusOr<stats::FsUsage> ReadWritableLayer(const std::string&) override {
    return absl::UnimplementedError("");
  }
};

class HypervisorStatsSourceTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (vm_ != nullptr) {
      EXPECT_TRUE(vm_->Stop(In(5), In(10)).ok());
    }
    vm_.reset();
    hcs_.Drain();
    EXPECT_EQ(hcs_.open_system_handles(), 0) << "a read kept its handle";
    EXPECT_EQ(hcs_.bad_closes(), 0);
  }
  void BootVm() {
    absl::StatusOr<std::unique_ptr<UvmPod>> vm = UvmPod::Create(hcs_.api(), TestPodSpec(), In(5));
    ASSERT_TRUE(vm.ok()) << vm.status();
    vm_ = std::move(*vm);
  }

  fake::FakeHcs hcs_;
  std::unique_ptr<UvmPod> vm_;
  HypervisorStatsSource source_{&hcs_.api(), std::make_unique<NoOtherStats>()};
};

TEST_F(HypervisorStatsSourceTest, ThePodIsItsUtilityVmWhoseCountersHoldItsContainers) {
  BootVm();
  model::SandboxRecord pod;
  pod.id = "pod-1";
  EXPECT_EQ(source_.SandboxGroup(pod), kTestVm);
  EXPECT_TRUE(source_.SandboxGroupHoldsContainers());
  EXPECT_EQ(source_.Format(), stats::StatsFormat::kWindows);
  hcs_.SetProperty(kTestVm, "Statistics", R"({"Processor":{"TotalRuntime100ns":25000000}})");
  hcs_.SetProperty(kTestVm, "Memory", R"({"VirtualMachineMemory":{"AssignedMemory":65536}})");
  absl::StatusOr<stats::GroupCounters> g = source_.ReadGroup(source_.SandboxGroup(pod));
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->cpu_usage_ns, 2'500'000'000u);
  ASSERT_TRUE(g->memory.has_value());
  EXPECT_EQ(g->memory->working_set_bytes, 256u << 20) << "65536 pages of 4 KiB";
}

TEST_F(HypervisorStatsSourceTest, AHostedContainersCountersComeFromItsStatistics) {
  hcs_.AddSystem("c1", "silo-hosted", /*running=*/true);
  model::SandboxRecord pod;
  pod.id = "pod-1";
  EXPECT_EQ(source_.ContainerGroup(pod, "c1"), "c1");
  hcs_.SetProperty("c1", "Statistics",
                   R"({"Processor":{"TotalRuntime100ns":300},"Memory":{"MemoryUsageCommitBytes":4096,)"
                   R"("MemoryUsagePrivateWorkingSetBytes":2048}})");
  absl::StatusOr<stats::GroupCounters> g = source_.ReadGroup("c1");
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->cpu_usage_ns, 30'000u);
  EXPECT_EQ(g->memory->working_set_bytes, 2048u);
  EXPECT_EQ(g->memory->commit_bytes, 4096u);
}

TEST_F(HypervisorStatsSourceTest, AGoneSystemIsNotFoundAndAMissingSectionIsNamed) {
  EXPECT_EQ(source_.ReadGroup("gone").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(source_.ReadGroup("gone@vm").status().code(), absl::StatusCode::kNotFound);
  hcs_.AddSystem("c1", "silo-hosted", /*running=*/true);
  absl::StatusOr<stats::GroupCounters> g = source_.ReadGroup("c1");
  EXPECT_EQ(g.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(g.status().message(), HasSubstr("Statistics"));
  BootVm();
  g = source_.ReadGroup(kTestVm);
  EXPECT_EQ(g.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(g.status().message(), HasSubstr("TotalRuntime100ns"));
}

TEST_F(HypervisorStatsSourceTest, NetworkComesFromTheProcessIsolatedSource) {
  absl::StatusOr<std::vector<stats::InterfaceCounters>> n = source_.ReadNetwork("ns-1");
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(n->size(), 1u);
  EXPECT_EQ((*n)[0].name, "ns-1");
}

}  // namespace
}  // namespace silo::runtime::windows::hypervisor
