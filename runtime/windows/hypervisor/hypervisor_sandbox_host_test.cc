// The hypervisor sandbox host over the strict HCS, HCN and job fakes: a pod's
// utility VM with its namespace and adapters, sized by config and
// annotations, rolled back from every step, and taken over after a restart.
#include "runtime/windows/hypervisor/hypervisor_sandbox_host.h"

#include <unistd.h>

#include <filesystem>
#include <memory>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "network/hns/fake/fake_hcn.h"
#include "nlohmann/json.hpp"
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/hypervisor/guest_network.h"
#include "runtime/windows/jobobject/fake/fake_job_api.h"

namespace silo::runtime::windows::hypervisor {
namespace {

using fake::FakeCall;
using fake::FakeFault;
using fake::FakeInjection;
using nlohmann::json;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class HypervisorSandboxHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state_dir_ = std::filesystem::path(::testing::TempDir()) /
                 (std::string("hv_sandbox_") + ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
                  std::to_string(::getpid()));
    std::filesystem::remove_all(state_dir_);
    config_.mutable_metadata()->set_name("web");
    NewHost();
  }
  void TearDown() override {
    host_.reset();
    pods_.reset();
    hcs_.Drain();
    EXPECT_EQ(hcs_.bad_closes(), 0);
    EXPECT_EQ(hcs_.open_system_handles(), 0) << "a handle outlived the host";
    std::filesystem::remove_all(state_dir_);
  }

  // A new host over new tables of pods: what a restarted silod has.
  void NewHost(UvmOptions defaults = {}) {
    host_.reset();
    pods_ = std::make_shared<PodVms>(state_dir_.string());
    HypervisorSandboxHostOptions o;
    o.defaults = defaults;
    o.state_dir = state_dir_.string();
    o.call_timeout = std::chrono::seconds(5);
    o.stop_grace = std::chrono::seconds(1);
    o.prepare_vm = [this](const std::string& id) -> absl::StatusOr<UvmBootFiles> {
      prepared_.push_back(id);
      return UvmBootFiles{"C:\\silo\\layers\\base\\UtilityVM", "C:\\silo\\pods\\" + id + "\\vm.vhdx"};
    };
    o.release_vm = [this](const std::string& id) {
      released_.push_back(id);
      return absl::OkStatus();
    };
    o.new_adapter_id = [this]() -> absl::StatusOr<std::string> {
      if (!adapter_source_.ok()) return adapter_source_;
      return absl::StrFormat("7d3a1c52-9f0e-4b8a-8c1d-%012x", ++adapters_);
    };
    host_ = std::make_unique<HypervisorSandboxHost>(&hcs_.api(), &hcn_.api(), &jobs_.api(), pods_, o);
  }

  // Namespace, pod group and one CNI endpoint, as the manager makes them
  // before StartPod; returns the netns.
  std::string Networked(const std::string& id) {
    absl::StatusOr<std::string> ns = host_->CreateNamespaces(id, {});
    EXPECT_TRUE(ns.ok()) << ns.status();
    EXPECT_TRUE(host_->CreatePodGroup(id).ok());
    const std::string net = hcn_.AddNetwork("cbr0", "L2Bridge");
    hcn_.AddEndpoint(net, id + "_cbr0", "10.1.0.9", 24, *ns);
    return *ns;
  }

  absl::StatusOr<json> Start(const std::string& id, const std::string& netns) {
    sandbox::PodStart start;
    start.netns = netns;
    start.hostname = id;
    start.config = &config_;
    return host_->StartPod(id, start);
  }

  // Everything after StopPod: the manager's CNI DEL, then namespaces and group.
  void RemoveAll(const std::string& id) {
    ASSERT_TRUE(host_->StopPod(id).ok());
    ASSERT_TRUE(host_->RemoveNamespaces(id).ok());
    ASSERT_TRUE(host_->RemovePodGroup(id).ok());
  }

  void ExpectNothingLeft(const std::string& id) {
    hcs_.Drain();
    EXPECT_FALSE(hcs_.SystemExists(UvmIdFor(id)));
    EXPECT_THAT(hcs_.vm_access_grants(), IsEmpty());
    EXPECT_EQ(hcs_.unmatched_vm_access_revokes(), 0);
    EXPECT_EQ(hcs_.open_system_handles(), 0);
    EXPECT_EQ(hcs_.open_operations(), 0);
    EXPECT_FALSE(std::filesystem::exists(PodVmRecordPath(state_dir_.string(), id)));
    EXPECT_EQ(pods_->Find(id), nullptr);
  }

  json Document(const std::string& id) { return json::parse(hcs_.Configuration(UvmIdFor(id))); }

  fake::FakeHcs hcs_;
  network::hns::fake::FakeHcn hcn_;
  jobobject::fake::FakeJobApi jobs_;
  std::filesystem::path state_dir_;
  ::runtime::v1::PodSandboxConfig config_;
  std::shared_ptr<PodVms> pods_;
  std::unique_ptr<HypervisorSandboxHost> host_;
  std::vector<std::string> prepared_, released_;
  int adapters_ = 0;
  absl::Status adapter_source_;
};

TEST_F(HypervisorSandboxHostTest, StartPodBootsTheVmWithTheNamespaceAndAdaptersAndStopPodUndoesItInReverse) {
  const std::string netns = Networked("pod-1");
  absl::StatusOr<json> started = Start("pod-1", netns);
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_EQ(started->value(kUvmIdKey, ""), "pod-1@vm");
  EXPECT_EQ(hcs_.SystemState("pod-1@vm"), "Running");
  const json doc = Document("pod-1");
  EXPECT_EQ(doc["Owner"], "silo-uvm");
  EXPECT_EQ(doc["VirtualMachine"]["ComputeTopology"]["Memory"]["SizeInMB"], 1024);
  EXPECT_EQ(doc["VirtualMachine"]["ComputeTopology"]["Processor"]["Count"], 2);
  const std::vector<std::string> mods = hcs_.Modifications("pod-1@vm");
  ASSERT_EQ(mods.size(), 3u);  // namespace, adapter PreAdd, adapter Add
  EXPECT_THAT(mods[0], HasSubstr(netns));
  EXPECT_THAT(mods[2], HasSubstr("VirtualMachine/Devices/NetworkAdapters/7d3a1c52-9f0e-4b8a-8c1d-000000000001"));
  // The record names the VM and its adapter before anything else happens.
  absl::StatusOr<PodVmRecord> record = LoadPodVmRecord(state_dir_.string(), "pod-1");
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->vm.document.vm_id, "pod-1@vm");
  ASSERT_EQ(record->vm.endpoints.size(), 1u);
  EXPECT_EQ(record->vm.hcn_namespace["Id"], netns);

  ASSERT_TRUE(host_->StopPod("pod-1").ok());
  const std::vector<std::string> after = hcs_.Modifications("pod-1@vm");
  EXPECT_EQ(after.size(), 0u) << "the VM is gone";
  ExpectNothingLeft("pod-1");
  EXPECT_THAT(released_, Contains("pod-1"));
  ASSERT_TRUE(host_->StopPod("pod-1").ok()) << "idempotent";
  RemoveAll("pod-1");
  EXPECT_FALSE(hcn_.NamespaceExists(netns));
}

TEST_F(HypervisorSandboxHostTest, PodAnnotationsOverrideTheHandlerDefaults) {
  UvmOptions defaults;
  defaults.memory_size_in_mb = 2048;
  defaults.processor_count = 4;
  NewHost(defaults);
  ASSERT_TRUE(Start("pod-1", "").ok());
  EXPECT_EQ(Document("pod-1")["VirtualMachine"]["ComputeTopology"]["Memory"]["SizeInMB"], 2048);
  EXPECT_EQ(Document("pod-1")["VirtualMachine"]["ComputeTopology"]["Processor"]["Count"], 4);

  (*config_.mutable_annotations())[annotation::kMemorySizeInMb] = "4096";
  (*config_.mutable_annotations())[annotation::kProcessorCount] = "1";
  ASSERT_TRUE(Start("pod-2", "").ok());
  EXPECT_EQ(Document("pod-2")["VirtualMachine"]["ComputeTopology"]["Memory"]["SizeInMB"], 4096);
  EXPECT_EQ(Document("pod-2")["VirtualMachine"]["ComputeTopology"]["Processor"]["Count"], 1);
  ASSERT_TRUE(host_->StopPod("pod-1").ok());
  ASSERT_TRUE(host_->StopPod("pod-2").ok());
  ExpectNothingLeft("pod-1");
  ExpectNothingLeft("pod-2");
}

TEST_F(HypervisorSandboxHostTest, AnInvalidAnnotationIsInvalidArgumentNamingItAndMakesNothing) {
  (*config_.mutable_annotations())[annotation::kMemorySizeInMb] = "lots";
  absl::StatusOr<json> started = Start("pod-1", "");
  ASSERT_EQ(started.status().code(), absl::StatusCode::kInvalidArgument) << started.status();
  EXPECT_THAT(started.status().message(), HasSubstr(annotation::kMemorySizeInMb));
  EXPECT_THAT(started.status().message(), HasSubstr("lots"));
  EXPECT_EQ(hcs_.calls(FakeCall::kCreateComputeSystem), 0);
  EXPECT_THAT(prepared_, IsEmpty());
  ExpectNothingLeft("pod-1");
}

TEST_F(HypervisorSandboxHostTest, AFailureAtEveryStepOfStartPodLeavesNothingBehind) {
  struct Step {
    const char* name;
    std::vector<FakeInjection> faults;
  };
  constexpr uint32_t kFail = 0x80070005;
  auto nth_modify = [&](int n) {
    std::vector<FakeInjection> f;
    if (n > 0) f.emplace_back(FakeCall::kModify, FakeFault::kPass, 0, "", std::vector<std::string>{}, n);
    f.emplace_back(FakeCall::kModify, FakeFault::kFailCall, kFail, "injected");
    return f;
  };
  const std::vector<Step> steps = {
      {"grant", {FakeInjection(FakeCall::kGrantVmAccess, FakeFault::kFailCall, kFail)}},
      {"create", {FakeInjection(FakeCall::kCreateComputeSystem, FakeFault::kFailCall, kFail)}},
      {"start", {FakeInjection(FakeCall::kStart, FakeFault::kFailCall, kFail)}},
      {"namespace", nth_modify(0)},
      {"adapter pre-add", nth_modify(1)},
      {"adapter add", nth_modify(2)},
  };
  int n = 0;
  for (const Step& step : steps) {
    SCOPED_TRACE(step.name);
    const std::string id = "pod-" + std::to_string(++n);
    const std::string netns = Networked(id);
    for (const FakeInjection& f : step.faults) hcs_.Inject(f);
    absl::StatusOr<json> started = Start(id, netns);
    EXPECT_FALSE(started.ok());
    EXPECT_THAT(started.status().message(), HasSubstr(id + "@vm"));
    ExpectNothingLeft(id);
    EXPECT_THAT(released_, Contains(id)) << "the VM's scratch is released";
    RemoveAll(id);
  }
}

TEST_F(HypervisorSandboxHostTest, AFailingAdapterIdSourceRefusesThePodBeforeAnythingIsMade) {
  const std::string netns = Networked("pod-1");
  adapter_source_ = absl::InternalError("BCryptGenRandom for a network adapter id: NTSTATUS 0xC0000001");
  absl::StatusOr<json> started = Start("pod-1", netns);
  ASSERT_FALSE(started.ok());
  EXPECT_THAT(started.status().message(), HasSubstr("0xC0000001"));
  EXPECT_EQ(hcs_.calls(FakeCall::kCreateComputeSystem), 0);
  EXPECT_THAT(prepared_, IsEmpty()) << "no boot files were made";
  ExpectNothingLeft("pod-1");
  RemoveAll("pod-1");
}

TEST_F(HypervisorSandboxHostTest, AfterARestartReopenTakesOverTheVmAndStopPodEndsIt) {
  const std::string netns = Networked("pod-1");
  ASSERT_TRUE(Start("pod-1", netns).ok());
  NewHost();  // silod restarts: the VM keeps running
  hcs_.Drain();
  EXPECT_EQ(hcs_.SystemState("pod-1@vm"), "Running");
  EXPECT_EQ(hcs_.open_system_handles(), 0);
  ASSERT_TRUE(host_->Reopen("pod-1").ok());
  EXPECT_NE(pods_->Find("pod-1"), nullptr);
  ASSERT_TRUE(host_->StopPod("pod-1").ok());
  // The adapter and namespace went as Create's owner would have removed them.
  ExpectNothingLeft("pod-1");
  RemoveAll("pod-1");
}

TEST_F(HypervisorSandboxHostTest, ReopenIsNotFoundWhenTheVmIsGoneAndStopPodForgetsItsRecord) {
  ASSERT_TRUE(Start("pod-1", "").ok());
  NewHost();
  {
    // The VM ends while silod is down.
    auto vm = hcs::ComputeSystem::Open(hcs_.api(), "pod-1@vm");
    ASSERT_TRUE(vm.ok());
    EXPECT_TRUE((*vm)->Terminate(hcs::Clock::now() + std::chrono::seconds(5)).ok());
    (*vm)->Close();
  }
  hcs_.Drain();
  ASSERT_FALSE(hcs_.SystemExists("pod-1@vm"));
  absl::Status reopened = host_->Reopen("pod-1");
  EXPECT_EQ(reopened.code(), absl::StatusCode::kNotFound) << reopened;
  EXPECT_TRUE(host_->StopPod("pod-1").ok());
  EXPECT_FALSE(std::filesystem::exists(PodVmRecordPath(state_dir_.string(), "pod-1")));
  EXPECT_THAT(released_, Contains("pod-1"));
}

TEST_F(HypervisorSandboxHostTest, RecoveryListsAVmOfOursThatNoRecordNamesAndStopPodRemovesIt) {
  hcs_.AddSystem("ghost@vm", "silo-uvm", /*running=*/true);
  hcs_.AddSystem("other@vm", "someone-else", /*running=*/true);
  absl::StatusOr<std::vector<std::string>> listed = host_->ListNamespaces();
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_THAT(*listed, Contains("ghost"));
  EXPECT_THAT(*listed, ::testing::Not(Contains("other")));
  ASSERT_TRUE(host_->StopPod("ghost").ok());
  hcs_.Drain();
  EXPECT_FALSE(hcs_.SystemExists("ghost@vm"));
  EXPECT_TRUE(hcs_.SystemExists("other@vm"));
}

}  // namespace
}  // namespace silo::runtime::windows::hypervisor
