// The hypervisor container host over the strict HCS fake, each hosted
// container held by its silo-shim (InProcessShimPort): a pod's containers
// share reference-counted VSMB shares and get distinct scratch LUNs, run and
// exec through their shims, roll back from every step of a create, and are
// released by a restarted silod from the pod's record.
#include "runtime/windows/hypervisor/hypervisor_container_host.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/host_path/fake/fake_host_path_api.h"
#include "runtime/windows/hypervisor/combined_layers.h"
#include "runtime/windows/hypervisor/hypervisor_sandbox_host.h"
#include "runtime/windows/hypervisor/scsi_disk.h"
#include "runtime/windows/hypervisor/vsmb_share.h"
#include "runtime/windows/shim/in_process_shim_port.h"

namespace silo::runtime::windows::hypervisor {
namespace {

using fake::FakeCall;
using fake::FakeFault;
using fake::FakeInjection;
using nlohmann::json;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kVm[] = "pod-1@vm";
constexpr char kVmScratch[] = "C:\\silo\\pods\\pod-1\\vm.vhdx";
const HostLayer kBase{"a1b2c3d4-0000-5000-8000-000000000001", "C:\\silo\\layers\\base"};
const HostLayer kApp{"a1b2c3d4-0000-5000-8000-000000000002", "C:\\silo\\layers\\app"};
const HostLayer kTool{"a1b2c3d4-0000-5000-8000-000000000003", "C:\\silo\\layers\\tool"};

class HypervisorContainerHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state_dir_ = std::filesystem::path(::testing::TempDir()) /
                 (std::string("hv_containers_") + ::testing::UnitTest::GetInstance()->current_test_info()->name() +
                  "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(state_dir_);
    std::filesystem::create_directories(state_dir_ / "logs");
    config_.mutable_metadata()->set_name("app");
    sandbox_.id = "pod-1";
    sandbox_.hostname = "pod-1";
    layers_["c1"] = {kApp, kBase};
    layers_["c2"] = {kTool, kBase};
    shims_ = std::make_shared<shim::InProcessShimPort>(hcs_);
    Restart();
    sandbox::PodStart start;
    ASSERT_TRUE(sandboxes_->StartPod("pod-1", start).ok());
  }

  void TearDown() override {
    containers_.reset();
    sandboxes_.reset();
    pods_.reset();
    shims_.reset();
    hcs_.Drain();
    EXPECT_EQ(hcs_.bad_closes(), 0);
    EXPECT_EQ(hcs_.open_system_handles(0), 0) << "silod kept a compute system handle";
    std::filesystem::remove_all(state_dir_);
  }

  // New hosts over a new table of pods (a silod restart); the shims and the VM live on.
  void Restart() {
    containers_.reset();
    sandboxes_.reset();
    pods_ = std::make_shared<PodVms>((state_dir_ / "pods").string());
    HypervisorSandboxHostOptions so;
    so.state_dir = pods_->state_dir();
    so.call_timeout = std::chrono::seconds(5);
    so.stop_grace = std::chrono::seconds(1);
    so.prepare_vm = [](const std::string&) -> absl::StatusOr<UvmBootFiles> {
      return UvmBootFiles{"C:\\silo\\layers\\base\\UtilityVM", kVmScratch};
    };
    so.release_vm = [](const std::string&) { return absl::OkStatus(); };
    sandboxes_ = std::make_unique<HypervisorSandboxHost>(&hcs_.api(), nullptr, nullptr, pods_, so);
    HypervisorContainerHostOptions co;
    co.containers.owner = "silo-hosted";
    co.containers.call_timeout = std::chrono::seconds(5);
    co.containers.state_dir = (state_dir_ / "containers").string();
    co.containers.shims = shims_;
    co.containers.host_paths = &paths_.api();
    co.prepare_layers = [this](const container::CreateSpec& spec) -> absl::StatusOr<HostedRootfs> {
      if (during_prepare_) during_prepare_(spec.id);
      return HostedRootfs{layers_[spec.id], Scratch(spec.id)};
    };
    co.release_layers = [this](const std::string& id) {
      released_.push_back(id);
      return absl::OkStatus();
    };
    containers_ = NewHypervisorContainerHost(&hcs_.api(), pods_, co);
  }

  static std::string Scratch(const std::string& id) { return "C:\\silo\\scratch\\" + id + "\\sandbox.vhdx"; }

  container::CreateSpec Spec(const std::string& id) {
    container::CreateSpec s;
    s.id = id;
    s.sandbox = &sandbox_;
    s.config = &config_;
    s.args = {"cmd.exe", "/c", "ping -t localhost"};
    s.cwd = "C:\\";
    s.log_path = (state_dir_ / "logs" / (id + ".log")).string();
    return s;
  }

  // The VM's modify requests after the pod's own (it has no network here).
  std::vector<std::string> VmRequests() { return hcs_.Modifications(kVm); }
  int Count(const std::string& request) {
    std::vector<std::string> all = VmRequests();
    return static_cast<int>(std::count(all.begin(), all.end(), request));
  }

  // The pod holds nothing for containers: no share, LUN, grant or record entry.
  void ExpectPodHoldsNoContainer() {
    std::shared_ptr<PodVm> pod = pods_->Find("pod-1");
    ASSERT_NE(pod, nullptr);
    silo::MutexLock lock(&pod->mu);
    EXPECT_EQ(pod->devices.shares.size(), 0u);
    EXPECT_EQ(pod->devices.luns.in_use(), 0);
    EXPECT_TRUE(pod->mounts.empty());
    absl::StatusOr<PodVmRecord> record = LoadPodVmRecord(pods_->state_dir(), "pod-1");
    ASSERT_TRUE(record.ok()) << record.status();
    EXPECT_TRUE(record->containers.empty());
    hcs_.Drain();
    EXPECT_THAT(hcs_.vm_access_grants(), ElementsAre(std::string(kVm) + "|" + kVmScratch));
  }

  fake::FakeHcs hcs_;
  host_path::fake::FakeHostPathApi paths_;
  std::shared_ptr<shim::InProcessShimPort> shims_;
  std::filesystem::path state_dir_;
  model::SandboxRecord sandbox_;
  ::runtime::v1::ContainerConfig config_;
  std::map<std::string, std::vector<HostLayer>> layers_;
  std::shared_ptr<PodVms> pods_;
  std::unique_ptr<HypervisorSandboxHost> sandboxes_;
  std::unique_ptr<container::ContainerHost> containers_;
  std::vector<std::string> released_;
  // Runs inside prepare_layers, between finding the pod and mounting in its VM.
  std::function<void(const std::string&)> during_prepare_;
};

TEST_F(HypervisorContainerHostTest, TwoContainersShareTheBaseLayerOnceWithDistinctLunsAndTheLastRemovalRemovesIt) {
  ASSERT_TRUE(containers_->Create(Spec("c1")).ok());
  absl::StatusOr<std::string> c2 = containers_->Create(Spec("c2"));
  ASSERT_TRUE(c2.ok()) << c2.status();
  // s1 app, s2 base (c1); s3 tool (c2), base shared.
  EXPECT_EQ(Count(*BuildVsmbAddRequest("s2", kBase.host_path, false)), 1);
  EXPECT_EQ(Count(*BuildVsmbAddRequest("s3", kTool.host_path, false)), 1);
  EXPECT_EQ(Count(*BuildScsiAttachRequest(1, Scratch("c1"))), 1);
  EXPECT_EQ(Count(*BuildScsiAttachRequest(2, Scratch("c2"))), 1);
  const json doc = json::parse(hcs_.Configuration("c1"));
  EXPECT_EQ(doc["HostingSystemId"], kVm);
  EXPECT_EQ(doc["Owner"], "silo-hosted");

  ASSERT_TRUE(containers_->Remove("c1", "c1").ok());
  EXPECT_FALSE(hcs_.SystemExists("c1"));
  EXPECT_EQ(Count(*BuildVsmbRemoveRequest("s1")), 1);
  EXPECT_EQ(Count(*BuildVsmbRemoveRequest("s2")), 0) << "c2 still uses the base layer";
  EXPECT_EQ(Count(*BuildCombinedLayersRemoveRequest(ScsiGuestMountPath(1))), 1);
  ASSERT_TRUE(containers_->Remove("c2", "c2").ok());
  EXPECT_EQ(Count(*BuildVsmbRemoveRequest("s2")), 1);
  EXPECT_THAT(released_, ElementsAre("c1", "c2"));
  ExpectPodHoldsNoContainer();
  // Removal order in the VM: combined layers, guest unmount, detach, shares (last first).
  const std::vector<std::string> all = VmRequests();
  auto at = [&](const std::string& r) { return std::find(all.begin(), all.end(), r) - all.begin(); };
  EXPECT_LT(at(*BuildCombinedLayersRemoveRequest(ScsiGuestMountPath(2))), at(*BuildScsiGuestUnmountRequest(2)));
  EXPECT_LT(at(*BuildScsiGuestUnmountRequest(2)), at(*BuildScsiDetachRequest(2)));
  EXPECT_LT(at(*BuildScsiDetachRequest(2)), at(*BuildVsmbRemoveRequest("s2")));
  EXPECT_LT(at(*BuildVsmbRemoveRequest("s2")), at(*BuildVsmbRemoveRequest("s3")));
  ASSERT_TRUE(sandboxes_->StopPod("pod-1").ok());
}

TEST_F(HypervisorContainerHostTest, AContainerStartsRunsAnExecAndStopsThroughItsShim) {
  ASSERT_TRUE(containers_->Create(Spec("c1")).ok());
  ASSERT_TRUE(containers_->Start("c1", "c1").ok());
  absl::StatusOr<container::ProcessState> st = containers_->State("c1", "c1");
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_TRUE(st->started);
  EXPECT_FALSE(st->exited);
  std::thread exiter([&] {
    for (int i = 0; i < 5000 && !hcs_.ProcessRunning("c1", st->pid + 4); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    hcs_.WriteProcessOutput("c1", st->pid + 4, false, "hello from the guest\n");
    hcs_.ExitProcess("c1", st->pid + 4, 0);
  });
  absl::StatusOr<container::ExecResult> exec = containers_->Exec("c1", "c1", {"cmd", "/c", "echo"}, std::chrono::seconds(30));
  exiter.join();
  ASSERT_TRUE(exec.ok()) << exec.status();
  EXPECT_EQ(exec->stdout_data, "hello from the guest\n");
  ASSERT_TRUE(containers_->Kill("c1", "c1", 9).ok());
  absl::StatusOr<container::ProcessState> done = containers_->Wait("c1", "c1", std::chrono::seconds(10));
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_TRUE(done->exited);
  ASSERT_TRUE(containers_->Remove("c1", "c1").ok());
  ExpectPodHoldsNoContainer();
  ASSERT_TRUE(sandboxes_->StopPod("pod-1").ok());
}

TEST_F(HypervisorContainerHostTest, ACreateFailureAtEveryStepLeavesThePodAsItWas) {
  constexpr uint32_t kFail = 0x80070005;
  auto nth_modify = [&](int n) {
    std::vector<FakeInjection> f;
    if (n > 0) f.emplace_back(FakeCall::kModify, FakeFault::kPass, 0, "", std::vector<std::string>{}, n);
    f.emplace_back(FakeCall::kModify, FakeFault::kFailCall, kFail, "injected");
    return f;
  };
  const std::vector<std::pair<const char*, std::vector<FakeInjection>>> steps = {
      {"share app", nth_modify(0)},
      {"share base", nth_modify(1)},
      {"grant scratch", {FakeInjection(FakeCall::kGrantVmAccess, FakeFault::kFailCall, kFail)}},
      {"attach scratch", nth_modify(2)},
      {"mount in guest", nth_modify(3)},
      {"combine layers", nth_modify(4)},
      {"create hosted system", {FakeInjection(FakeCall::kCreateComputeSystem, FakeFault::kFailCall, kFail)}},
  };
  for (const auto& [name, faults] : steps) {
    SCOPED_TRACE(name);
    released_.clear();
    for (const FakeInjection& f : faults) hcs_.Inject(f);
    absl::StatusOr<std::string> created = containers_->Create(Spec("c1"));
    EXPECT_FALSE(created.ok());
    hcs_.Drain();
    EXPECT_FALSE(hcs_.SystemExists("c1"));
    EXPECT_THAT(released_, Contains("c1"));
    ExpectPodHoldsNoContainer();
  }
  // And the next create works from a clean pod.
  ASSERT_TRUE(containers_->Create(Spec("c1")).ok());
  ASSERT_TRUE(containers_->Remove("c1", "c1").ok());
  ASSERT_TRUE(sandboxes_->StopPod("pod-1").ok());
}

TEST_F(HypervisorContainerHostTest, ARestartedSilodReleasesRecoveredContainersFromThePodRecord) {
  ASSERT_TRUE(containers_->Create(Spec("c1")).ok());
  ASSERT_TRUE(containers_->Create(Spec("c2")).ok());
  ASSERT_TRUE(containers_->Start("c1", "c1").ok());
  Restart();
  ASSERT_TRUE(sandboxes_->Reopen("pod-1").ok());
  {
    std::shared_ptr<PodVm> pod = pods_->Find("pod-1");
    ASSERT_NE(pod, nullptr);
    silo::MutexLock lock(&pod->mu);
    EXPECT_EQ(pod->devices.shares.references(kBase.host_path), 2);
    EXPECT_EQ(pod->devices.luns.in_use(), 2);
  }
  absl::StatusOr<container::ProcessState> st = containers_->State("c1", "c1");
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_TRUE(st->started);
  ASSERT_TRUE(containers_->Remove("c1", "c1").ok());
  EXPECT_EQ(Count(*BuildVsmbRemoveRequest("s2")), 0);
  ASSERT_TRUE(containers_->Remove("c2", "c2").ok());
  EXPECT_EQ(Count(*BuildVsmbRemoveRequest("s2")), 1);
  ExpectPodHoldsNoContainer();
  // A new mount after the restart never reuses a share name.
  layers_["c3"] = {kBase};
  ASSERT_TRUE(containers_->Create(Spec("c3")).ok());
  EXPECT_EQ(Count(*BuildVsmbAddRequest("s4", kBase.host_path, false)), 1);
  ASSERT_TRUE(containers_->Remove("c3", "c3").ok());
  ASSERT_TRUE(sandboxes_->StopPod("pod-1").ok());
  hcs_.Drain();
  EXPECT_FALSE(hcs_.SystemExists(kVm));
}

TEST_F(HypervisorContainerHostTest, StopPodReleasesWhatContainersStillHoldBeforeTheVmGoes) {
  ASSERT_TRUE(containers_->Create(Spec("c1")).ok());
  ASSERT_TRUE(sandboxes_->StopPod("pod-1").ok());
  hcs_.Drain();
  EXPECT_FALSE(hcs_.SystemExists(kVm));
  EXPECT_TRUE(hcs_.vm_access_grants().empty()) << "the scratch grants were revoked";
  ASSERT_TRUE(containers_->Remove("c1", "c1").ok());
  EXPECT_THAT(released_, ElementsAre("c1"));
}

TEST_F(HypervisorContainerHostTest, ACreateThatRacesStopPodIsRefusedAndLeavesNoRecordBehind) {
  layers_["late"] = {kApp, kBase};
  during_prepare_ = [this](const std::string&) { EXPECT_TRUE(sandboxes_->StopPod("pod-1").ok()); };
  absl::StatusOr<std::string> created = containers_->Create(Spec("late"));
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), absl::StatusCode::kFailedPrecondition) << created.status();
  EXPECT_THAT(created.status().message(), HasSubstr("stopped"));
  hcs_.Drain();
  EXPECT_FALSE(hcs_.SystemExists(kVm));
  EXPECT_FALSE(hcs_.SystemExists("late"));
  EXPECT_TRUE(hcs_.vm_access_grants().empty());
  EXPECT_FALSE(std::filesystem::exists(PodVmRecordPath(pods_->state_dir(), "pod-1")))
      << "a stopped pod's record came back: recovery would name it forever";
  EXPECT_THAT(released_, ElementsAre("late"));
}

}  // namespace
}  // namespace silo::runtime::windows::hypervisor
