// Windows pod sandboxes end to end below the CRI: the portable SandboxManager
// over the Windows handler types (RegisterWindowsHandlerTypes), with the
// strict HCS, HCN and job object fakes underneath. Every test ends by
// proving from the fakes' own counts that nothing is left: no HCN
// namespace, job object, compute system, handle or marker file.

#include "runtime/windows/sandbox/windows_sandbox_host.h"

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "cri/api/cri.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "network/hns/fake/fake_hcn.h"
#include "network/hns/guid.h"
#include "nlohmann/json.hpp"
#include "runtime/fake/fake_container_host.h"
#include "runtime/fake/fake_process_streaming.h"
#include "runtime/sandbox/sandbox_manager.h"
#include "runtime/stats/stats_sampler.h"
#include "runtime/stats/test_stores.h"
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/handler/windows_handlers.h"
#include "runtime/windows/hcs/compute_system.h"
#include "runtime/windows/hresult_codes.h"
#include "runtime/windows/jobobject/fake/fake_job_api.h"
#include "runtime/windows/stats/windows_stats_source.h"

namespace silo::runtime::windows {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using model::SandboxState;

// Records what CNI would see: the netns of every ADD and DEL.
class RecordingNetwork final : public network::PodNetwork {
 public:
  absl::Status Ready() const override { return absl::OkStatus(); }
  absl::StatusOr<network::Attachment> Attach(const network::AttachRequest& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    adds_.push_back(r.netns);
    if (!fail_.ok()) return fail_;
    attached_[r.sandbox_id] = r.netns;
    return network::Attachment{"10.1.0." + std::to_string(adds_.size()), {}};
  }
  absl::Status Detach(const network::AttachRequest& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    dels_.push_back(r.sandbox_id);
    attached_.erase(r.sandbox_id);
    return absl::OkStatus();
  }
  void Fail(absl::Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_ = std::move(s);
  }
  std::vector<std::string> adds() const {
    std::lock_guard<std::mutex> lock(mu_);
    return adds_;
  }
  std::vector<std::string> dels() const {
    std::lock_guard<std::mutex> lock(mu_);
    return dels_;
  }
  std::map<std::string, std::string> attached() const {
    std::lock_guard<std::mutex> lock(mu_);
    return attached_;
  }

 private:
  mutable std::mutex mu_;
  absl::Status fail_;
  std::vector<std::string> adds_, dels_;
  std::map<std::string, std::string> attached_;
};

::runtime::v1::PodSandboxConfig Pod(const std::string& name, bool host_process = false) {
  ::runtime::v1::PodSandboxConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_metadata()->set_namespace_("default");
  c.mutable_metadata()->set_uid("uid-" + name);
  c.set_hostname(name);
  c.mutable_dns_config()->add_searches("default.svc.cluster.local");
  if (host_process) {
    // What a Windows kubelet sends for a HostProcess pod: the flag, and
    // host networking in the Linux config it always adds.
    c.mutable_windows()->mutable_security_context()->set_host_process(true);
    c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(::runtime::v1::NODE);
  }
  return c;
}

class WindowsSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(stores_.Open().ok());
    state_dir_ = stores_.dir.path() + "/state";
    Boot();
  }

  void TearDown() override {
    Shutdown();
    EXPECT_EQ(hcs_.bad_closes(), 0);
    EXPECT_EQ(jobs_.bad_closes(), 0);
  }

  WindowsHandlerParts Parts() {
    WindowsHandlerParts p;
    p.hcs = &hcs_.api();
    p.hcn = &hcn_.api();
    p.jobs = &jobs_.api();
    p.sandbox.state_dir = state_dir_;
    p.sandbox.holder = holder_;
    p.sandbox.prepare_pause = [this](const std::string& id, const std::string& image) -> absl::StatusOr<PauseImage> {
      std::lock_guard<std::mutex> lock(mu_);
      if (!fail_pause_image_.ok()) return fail_pause_image_;
      prepared_.insert(id);
      images_.push_back(image);
      PauseImage pause;
      pause.rootfs.parent_layers = {{"5c8e7f1a-0000-5000-8000-000000000001", "C:\\silo\\layers\\pause"}};
      pause.rootfs.scratch_volume_path = "\\\\?\\Volume{4c1b1ff0-8a3f-4c1a-9d9a-1234567890ab}\\";
      pause.args = {"C:\\Windows\\System32\\pause.exe"};
      pause.user = "ContainerUser";
      return pause;
    };
    p.sandbox.release_pause = [this](const std::string& id) {
      std::lock_guard<std::mutex> lock(mu_);
      prepared_.erase(id);
      return absl::OkStatus();
    };
    p.containers.owner = "silo";
    p.make_stats = [this] {
      WindowsStatsSourceOptions o;
      o.read_job = [this](const std::string& name) -> absl::StatusOr<stats::GroupCounters> {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = job_counters_.find(name);
        if (it == job_counters_.end()) return absl::NotFoundError("no job " + name);
        return it->second;
      };
      return std::make_unique<WindowsStatsSource>(o);
    };
    p.make_streaming = [] { return std::make_unique<runtime::fake::FakeProcessStreaming>("windows"); };
    if (with_host_process_) {
      p.make_hostprocess_containers = [] { return std::make_unique<runtime::fake::FakeContainerHost>("hostprocess"); };
    }
    return p;
  }

  // silod starting: handlers, manager, recovery.
  void Boot() {
    registry_ = std::make_unique<handler::HandlerRegistry>();
    RegisterWindowsHandlerTypes(*registry_, Parts());
    std::vector<handler::HandlerSpec> specs = {{kDefaultProcessHandlerName, kProcessHandlerType, {}}};
    if (with_host_process_) specs.push_back({"hostprocess", kHostProcessHandlerType, {}});
    ASSERT_TRUE(registry_->Configure(specs, kDefaultProcessHandlerName).ok());
    sandbox::SandboxManagerOptions o;
    o.files_dir = stores_.dir.path() + "/sandboxes";
    o.node_hostname = "node";
    manager_ = std::make_unique<sandbox::SandboxManager>(o, stores_.sandboxes.get(), registry_.get(), &network_);
    absl::Status recovered = manager_->Recover();
    ASSERT_TRUE(recovered.ok()) << recovered;
  }

  // silod going away: its handles close, nothing is torn down.
  void Shutdown() {
    manager_.reset();
    registry_.reset();
  }

  // The metadata database is gone (a wiped root): no record of any pod.
  void LoseDatabase() {
    stores_.containers.reset();
    stores_.sandboxes.reset();
    stores_.db.reset();
    std::filesystem::remove_all(stores_.dir.path() + "/db");
    ASSERT_TRUE(stores_.Open().ok());
  }

  void Restart() {
    Shutdown();
    Boot();
  }

  // The sandbox host of handler `name`.
  WindowsSandboxHost& PodHost(const std::string& name) {
    const std::string type = name == "hostprocess" ? kHostProcessHandlerType : kProcessHandlerType;
    absl::StatusOr<handler::RuntimeHandler*> h = registry_->For(name, type);
    EXPECT_TRUE(h.ok()) << h.status();
    return dynamic_cast<WindowsSandboxHost&>((*h)->Sandboxes());
  }

  static std::string FakeUserSid() {
    const std::wstring w = jobobject::fake::FakeJobApi::kUserSid;
    return std::string(w.begin(), w.end());
  }

  std::vector<std::string> Systems() {
    auto all = hcs::ComputeSystem::Enumerate(hcs_.api(), {}, hcs::Clock::now() + std::chrono::seconds(5));
    EXPECT_TRUE(all.ok());
    std::vector<std::string> ids;
    if (all.ok()) {
      for (const auto& s : *all) ids.push_back(s.id);
    }
    return ids;
  }

  std::vector<std::string> Markers() {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::recursive_directory_iterator(state_dir_, ec)) {
      if (e.is_regular_file()) out.push_back(e.path().filename().string());
    }
    return out;
  }

  // StopPodSandbox then RemovePodSandbox, as kubelet ends a pod.
  void StopAndRemove(const std::string& id) {
    ASSERT_TRUE(manager_->Stop(id).ok());
    ASSERT_TRUE(manager_->Remove(id).ok());
  }

  // Nothing of any pod is left on the host.
  void ExpectNothingLeft() {
    EXPECT_THAT(hcn_.NamespaceIds(), IsEmpty());
    EXPECT_EQ(jobs_.jobs(), 0);
    EXPECT_THAT(Systems(), IsEmpty());
    EXPECT_THAT(Markers(), IsEmpty());
    EXPECT_THAT(network_.attached(), IsEmpty());
    EXPECT_EQ(hcs_.open_system_handles(), 0);
    EXPECT_EQ(hcs_.open_process_handles(), 0);
    EXPECT_EQ(hcs_.open_stdio_handles(), 0);
    EXPECT_EQ(hcn_.open_handles(), 0);
    std::lock_guard<std::mutex> lock(mu_);
    EXPECT_THAT(prepared_, IsEmpty());
  }

  stats::testing::TestStores stores_;
  std::string state_dir_;
  fake::FakeHcs hcs_;
  network::hns::fake::FakeHcn hcn_;
  jobobject::fake::FakeJobApi jobs_;
  RecordingNetwork network_;
  PodHolder holder_ = PodHolder::kPause;
  bool with_host_process_ = true;
  std::mutex mu_;
  absl::Status fail_pause_image_;
  std::set<std::string> prepared_;
  std::vector<std::string> images_;
  std::map<std::string, stats::GroupCounters> job_counters_;
  std::unique_ptr<handler::HandlerRegistry> registry_;
  std::unique_ptr<sandbox::SandboxManager> manager_;
};

TEST_F(WindowsSandboxTest, RunMakesNamespaceAndPauseAndStopRemoveUndoThemInReverse) {
  absl::StatusOr<std::string> id = manager_->Run(Pod("web"), "");
  ASSERT_TRUE(id.ok()) << id.status();
  absl::StatusOr<model::SandboxRecord> r = manager_->Status(*id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, SandboxState::kReady);
  EXPECT_EQ(r->runtime_handler, kDefaultProcessHandlerName);
  EXPECT_EQ(r->handler_type, kProcessHandlerType);

  // The HCN namespace: Silo's GUID for the sandbox, created with no type.
  const std::string guid = network::hns::FormatGuid(network::hns::SiloNamespaceGuid(*id));
  EXPECT_EQ(r->netns_path, guid);
  EXPECT_TRUE(hcn_.NamespaceExists(guid));
  EXPECT_FALSE(nlohmann::json::parse(hcn_.LastCreateSettings()).contains("Type"));
  // CNI got that GUID as its netns.
  EXPECT_THAT(network_.adds(), ElementsAre(guid));
  EXPECT_EQ(r->ip, "10.1.0.1");

  // No pod job: its containers live in HCS's silo jobs and nothing would
  // ever run in it.
  EXPECT_EQ(r->cgroup_path, "");
  EXPECT_EQ(jobs_.creates(), 0);
  EXPECT_EQ(jobs_.jobs(), 0);

  // The pause: id = sandbox id, its own owner, in the namespace, outliving
  // silod's handle, running the image's command without stdio pipes.
  EXPECT_EQ(hcs_.SystemState(*id), "Running");
  const nlohmann::json doc = nlohmann::json::parse(hcs_.Configuration(*id));
  EXPECT_EQ(doc["Owner"], "silo-sandbox");
  EXPECT_FALSE(doc.value("ShouldTerminateOnLastHandleClosed", false));
  EXPECT_EQ(doc["Container"]["Networking"]["Namespace"], guid);
  EXPECT_EQ(doc["Container"]["GuestOs"]["HostName"], "web");
  EXPECT_EQ(hcs_.open_stdio_handles(), 0);
  EXPECT_EQ(hcs_.open_system_handles(), 0);
  EXPECT_EQ(hcs_.open_process_handles(), 0);
  EXPECT_EQ(r->platform_data[kPauseSystemIdKey], *id);
  EXPECT_EQ(r->platform_data[kSandboxImageKey], kDefaultWindowsSandboxImage);
  {
    std::lock_guard<std::mutex> lock(mu_);
    EXPECT_THAT(images_, ElementsAre(kDefaultWindowsSandboxImage));
  }

  // Stop: the pause goes, then CNI DEL; the namespace stays until Remove.
  ASSERT_TRUE(manager_->Stop(*id).ok());
  EXPECT_FALSE(hcs_.SystemExists(*id));
  EXPECT_THAT(network_.dels(), ElementsAre(*id));
  EXPECT_TRUE(hcn_.NamespaceExists(guid));
  EXPECT_EQ(manager_->Status(*id)->state, SandboxState::kNotReady);
  ASSERT_TRUE(manager_->Stop(*id).ok());  // idempotent

  ASSERT_TRUE(manager_->Remove(*id).ok());
  ExpectNothingLeft();
  ASSERT_TRUE(manager_->Remove(*id).ok());  // idempotent
}

// As containerd's Windows sandbox spec: the pod's run_as_username is the
// pause's user; a gMSA credential spec, which this runtime cannot apply, is
// refused rather than ignored, and nothing of the pod is left.
TEST_F(WindowsSandboxTest, ThePauseRunsAsThePodsUserAndACredentialSpecIsRefused) {
  ::runtime::v1::PodSandboxConfig config = Pod("web");
  config.mutable_windows()->mutable_security_context()->set_run_as_username("ContainerUser");
  absl::StatusOr<std::string> id = manager_->Run(config, "");
  ASSERT_TRUE(id.ok()) << id.status();
  const std::string params = hcs_.ProcessParameters(*id, 100);  // the fake's first pid
  ASSERT_FALSE(params.empty());
  EXPECT_EQ(nlohmann::json::parse(params).value("User", ""), "ContainerUser");
  StopAndRemove(*id);

  ::runtime::v1::PodSandboxConfig gmsa = Pod("gmsa");
  gmsa.mutable_windows()->mutable_security_context()->set_credential_spec(R"({"CmsPlugins":["ActiveDirectory"]})");
  absl::StatusOr<std::string> refused = manager_->Run(gmsa, "");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(refused.status().message()), ::testing::HasSubstr("credential_spec"));
  ExpectNothingLeft();
}

TEST_F(WindowsSandboxTest, RemoveDeletesEndpointsACniPluginLeftInTheNamespace) {
  absl::StatusOr<std::string> id = manager_->Run(Pod("leaky"), "");
  ASSERT_TRUE(id.ok()) << id.status();
  const std::string net = hcn_.AddNetwork("cbr0", "L2Bridge");
  const std::string ep = hcn_.AddEndpoint(net, *id + "_cbr0", "10.1.0.9", 24, manager_->Status(*id)->netns_path);
  StopAndRemove(*id);
  EXPECT_FALSE(hcn_.EndpointExists(ep));
  ExpectNothingLeft();
}

// A removal that detached an endpoint and then failed: the endpoint is in no
// namespace any more, so only the removal's own record can find it, and the
// retry deletes it.
TEST_F(WindowsSandboxTest, AnEndpointDetachedByAFailedRemoveIsDeletedByTheRetry) {
  absl::StatusOr<std::string> id = manager_->Run(Pod("half-torn"), "");
  ASSERT_TRUE(id.ok()) << id.status();
  const std::string ns = manager_->Status(*id)->netns_path;
  const std::string net = hcn_.AddNetwork("cbr0", "L2Bridge");
  const std::string ep = hcn_.AddEndpoint(net, *id + "_cbr0", "10.1.0.9", 24, ns);
  ASSERT_TRUE(manager_->Stop(*id).ok());
  hcn_.Inject({network::hns::fake::FakeHcnCall::kDeleteEndpoint, 0x80070005});
  EXPECT_FALSE(manager_->Remove(*id).ok());
  EXPECT_TRUE(hcn_.EndpointExists(ep));
  EXPECT_TRUE(hcn_.NamespaceExists(ns));
  // silod restarts before the retry: the record is on disk, not in memory.
  Restart();
  ASSERT_TRUE(manager_->Remove(*id).ok());
  EXPECT_FALSE(hcn_.EndpointExists(ep));
  ExpectNothingLeft();
}

// Each step of RunPodSandbox failing in turn: the call fails with the
// step's error and everything made before it is gone.
struct FailureCase {
  const char* name;
  std::function<void(WindowsSandboxTest&)> arm;
  const char* message;
};

class WindowsSandboxRollbackTest : public WindowsSandboxTest,
                                   public ::testing::WithParamInterface<FailureCase> {
 public:
  void Arm() { GetParam().arm(*this); }
  void FailPauseImage(absl::Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_pause_image_ = std::move(s);
  }
  fake::FakeHcs& hcs() { return hcs_; }
  network::hns::fake::FakeHcn& hcn() { return hcn_; }
  jobobject::fake::FakeJobApi& jobs() { return jobs_; }
  RecordingNetwork& network() { return network_; }
};

TEST_P(WindowsSandboxRollbackTest, NothingIsLeftWhenAStepFails) {
  Arm();
  absl::StatusOr<std::string> id = manager_->Run(Pod("fails"), "");
  ASSERT_FALSE(id.ok());
  EXPECT_THAT(std::string(id.status().message()), HasSubstr(GetParam().message));
  EXPECT_THAT(manager_->List({}), IsEmpty());
  ExpectNothingLeft();
  // The name is free again and the next attempt runs.
  network_.Fail(absl::OkStatus());
  FailPauseImage(absl::OkStatus());
  absl::StatusOr<std::string> again = manager_->Run(Pod("fails"), "");
  ASSERT_TRUE(again.ok()) << again.status();
  StopAndRemove(*again);
  ExpectNothingLeft();
}

INSTANTIATE_TEST_SUITE_P(
    EachStep, WindowsSandboxRollbackTest,
    ::testing::Values(
        FailureCase{"HcnCreateNamespace",
                    [](WindowsSandboxTest& t) {
                      static_cast<WindowsSandboxRollbackTest&>(t).hcn().Inject(
                          {network::hns::fake::FakeHcnCall::kCreateNamespace, 0x80070005});
                    },
                    "HcnCreateNamespace"},
        FailureCase{"CniAdd",
                    [](WindowsSandboxTest& t) {
                      static_cast<WindowsSandboxRollbackTest&>(t).network().Fail(
                          absl::UnavailableError("CNI ADD: plugin failed"));
                    },
                    "CNI ADD"},
        FailureCase{"PauseImage",
                    [](WindowsSandboxTest& t) {
                      static_cast<WindowsSandboxRollbackTest&>(t).FailPauseImage(
                          absl::NotFoundError("image not pulled"));
                    },
                    "image not pulled"},
        FailureCase{"HcsCreateComputeSystem",
                    [](WindowsSandboxTest& t) {
                      static_cast<WindowsSandboxRollbackTest&>(t).hcs().Inject(
                          {fake::FakeCall::kCreateComputeSystem, fake::FakeFault::kFailResult,
                           0x80370112 /* HCS_E_INVALID_LAYER */});
                    },
                    "HcsCreateComputeSystem"},
        FailureCase{"HcsStartComputeSystem",
                    [](WindowsSandboxTest& t) {
                      static_cast<WindowsSandboxRollbackTest&>(t).hcs().Inject(
                          {fake::FakeCall::kStart, fake::FakeFault::kFailResult, codes::kHcsEUnexpectedExit});
                    },
                    "HcsStartComputeSystem"},
        FailureCase{"HcsCreateProcess",
                    [](WindowsSandboxTest& t) {
                      static_cast<WindowsSandboxRollbackTest&>(t).hcs().Inject(
                          {fake::FakeCall::kCreateProcess, fake::FakeFault::kFailCall, 0x80070002});
                    },
                    "HcsCreateProcess"}),
    [](const ::testing::TestParamInfo<FailureCase>& info) { return std::string(info.param.name); });

TEST_F(WindowsSandboxTest, RestartReopensTheLivePod) {
  absl::StatusOr<std::string> id = manager_->Run(Pod("survivor"), "");
  ASSERT_TRUE(id.ok()) << id.status();
  Restart();
  // The pod is still READY, its pause running; no job was ever needed.
  absl::StatusOr<model::SandboxRecord> r = manager_->Status(*id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, SandboxState::kReady);
  EXPECT_EQ(hcs_.SystemState(*id), "Running");
  EXPECT_EQ(jobs_.creates(), 0);
  EXPECT_TRUE(hcn_.NamespaceExists(r->netns_path));

  StopAndRemove(*id);
  ExpectNothingLeft();
}

// The HostProcess pod's job as a restart finds it: silod's handles close
// with it, so only the handle the container's monitor holds keeps the job's
// name; recovery re-opens that same job and its processes end with the pod.
TEST_F(WindowsSandboxTest, RestartReopensAHostProcessPodJobItsMonitorHolds) {
  absl::StatusOr<std::string> id = manager_->Run(Pod("busy", /*host_process=*/true), "");
  ASSERT_TRUE(id.ok()) << id.status();
  const std::wstring job = L"silo-pod-" + std::wstring(id->begin(), id->end());
  ASSERT_TRUE(jobs_.AddProcess(job));  // a HostProcess container's process
  void* monitor = jobs_.StartProcess();
  ASSERT_TRUE(PodHost("hostprocess").HoldPodJobIn(*id, monitor).ok());
  EXPECT_EQ(jobs_.HandlesIn(monitor), 1);
  const int creates = jobs_.creates();
  Restart();
  EXPECT_EQ(manager_->Status(*id)->state, SandboxState::kReady);
  EXPECT_EQ(jobs_.Processes(job), 1) << "the same job, re-opened";
  EXPECT_EQ(jobs_.OrphanedProcesses(), 0);
  EXPECT_EQ(jobs_.creates(), creates) << "nothing made again";
  StopAndRemove(*id);
  EXPECT_EQ(jobs_.Processes(job), 0);  // terminated with the pod
  EXPECT_EQ(jobs_.Terminations(job), 1);
  jobs_.EndProcess(monitor);
  ExpectNothingLeft();
}

// Without a holder the job's name dies with silod's handle: recovery can
// only make a new, empty job, and the old one's processes run on, out of
// reach. This is why the monitor must hold it.
TEST_F(WindowsSandboxTest, WithoutAHolderARestartStrandsTheHostProcessPodJob) {
  absl::StatusOr<std::string> id = manager_->Run(Pod("stranded", /*host_process=*/true), "");
  ASSERT_TRUE(id.ok()) << id.status();
  const std::wstring job = L"silo-pod-" + std::wstring(id->begin(), id->end());
  ASSERT_TRUE(jobs_.AddProcess(job));
  Restart();
  EXPECT_EQ(jobs_.OrphanedProcesses(), 1);
  EXPECT_EQ(jobs_.Processes(job), 0) << "a new job under the old name";
  StopAndRemove(*id);
  EXPECT_EQ(jobs_.OrphanedProcesses(), 1);
}

// A job named like a pod's, made by someone else before the pod: never
// adopted (its maker could watch or limit the pod's processes), and the
// refusal leaves nothing behind.
TEST_F(WindowsSandboxTest, APreMadeJobOfThePodsNameIsRefusedNotAdopted) {
  const std::string id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  const std::wstring job = L"silo-pod-" + std::wstring(id.begin(), id.end());
  jobs_.AddWin32Job(job);  // a squatter's, under a user's SID
  absl::Status made = PodHost("hostprocess").CreatePodGroup(id).status();
  EXPECT_EQ(made.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(made.message()), HasSubstr("silod did not create it"));
  EXPECT_THAT(Markers(), IsEmpty());
  EXPECT_EQ(jobs_.open_handles(), 0);
  // Recovery and removal will not take it either.
  absl::Status reopened = PodHost("hostprocess").Reopen(id);
  EXPECT_EQ(reopened.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(reopened.message()), HasSubstr(FakeUserSid()));
  EXPECT_EQ(PodHost("hostprocess").RemovePodGroup(id).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(jobs_.Terminations(job), 0);
  EXPECT_EQ(jobs_.open_handles(), 0);
}

// silod's job carries its own descriptor: Administrators own it, and only
// SYSTEM and Administrators have access.
TEST_F(WindowsSandboxTest, TheHostProcessPodJobIsCreatedWithSilodsDescriptor) {
  absl::StatusOr<std::string> id = manager_->Run(Pod("secured", /*host_process=*/true), "");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(jobs_.Sddl(L"silo-pod-" + std::wstring(id->begin(), id->end())),
            L"O:BAG:BAD:P(A;;GA;;;SY)(A;;GA;;;BA)");
  StopAndRemove(*id);
  ExpectNothingLeft();
}

TEST_F(WindowsSandboxTest, AFailedJobCreateLeavesNothingOfAHostProcessPod) {
  jobs_.FailCreates(1450);  // ERROR_NO_SYSTEM_RESOURCES
  absl::StatusOr<std::string> id = manager_->Run(Pod("nojob", /*host_process=*/true), "");
  ASSERT_FALSE(id.ok());
  EXPECT_THAT(std::string(id.status().message()), HasSubstr("CreateJobObjectW"));
  EXPECT_THAT(manager_->List({}), IsEmpty());
  ExpectNothingLeft();
}

TEST_F(WindowsSandboxTest, HoldingTheJobOfAPodWithoutOneIsRefused) {
  absl::StatusOr<std::string> id = manager_->Run(Pod("isolated"), "");
  ASSERT_TRUE(id.ok()) << id.status();
  void* monitor = jobs_.StartProcess();
  EXPECT_EQ(PodHost(kDefaultProcessHandlerName).HoldPodJobIn(*id, monitor).code(),
            absl::StatusCode::kFailedPrecondition);
  jobs_.EndProcess(monitor);
  StopAndRemove(*id);
  ExpectNothingLeft();
}

TEST_F(WindowsSandboxTest, APodWhosePauseStoppedWhileSilodWasDownIsNotReady) {
  absl::StatusOr<std::string> id = manager_->Run(Pod("crashed"), "");
  ASSERT_TRUE(id.ok()) << id.status();
  Shutdown();
  hcs_.CrashSystem(*id);
  hcs_.Drain();
  Boot();
  EXPECT_EQ(manager_->Status(*id)->state, SandboxState::kNotReady);
  StopAndRemove(*id);
  ExpectNothingLeft();
}

TEST_F(WindowsSandboxTest, RecoveryRemovesWhatNoRecordOwnsAndNeverForeignObjects) {
  absl::StatusOr<std::string> id = manager_->Run(Pod("orphan"), "");
  ASSERT_TRUE(id.ok()) << id.status();
  const std::string guid = manager_->Status(*id)->netns_path;
  // Another runtime's objects, and a container of silod's container host.
  hcs_.AddSystem("containerd-pause", "containerd-shim-runhcs-v1.exe", /*running=*/true);
  hcs_.AddSystem("ctr1", "silo", /*running=*/true);
  const std::string foreign_ns = hcn_.AddNamespace("");
  jobs_.AddWin32Job(L"JobContainer_other");
  jobs_.AddWin32Job(L"silo-pod-not-in-state");

  // The metadata database is lost: silod comes back with no record of it.
  Shutdown();
  LoseDatabase();
  Boot();

  EXPECT_FALSE(hcs_.SystemExists(*id));
  EXPECT_FALSE(hcn_.NamespaceExists(guid));
  EXPECT_FALSE(jobs_.Win32JobExists(L"silo-pod-" + std::wstring(id->begin(), id->end())));
  EXPECT_THAT(network_.dels(), ElementsAre(*id));  // CNI DEL freed its IP
  EXPECT_THAT(Markers(), IsEmpty());
  EXPECT_TRUE(hcs_.SystemExists("containerd-pause"));
  EXPECT_TRUE(hcs_.SystemExists("ctr1"));
  EXPECT_TRUE(hcn_.NamespaceExists(foreign_ns));
  EXPECT_TRUE(jobs_.Win32JobExists(L"JobContainer_other"));
  EXPECT_TRUE(jobs_.Win32JobExists(L"silo-pod-not-in-state"));
}

TEST_F(WindowsSandboxTest, APauseOfOursIsFoundByItsOwnerWhenItsMarkerIsLost) {
  absl::StatusOr<std::string> id = manager_->Run(Pod("lost-marker"), "");
  ASSERT_TRUE(id.ok()) << id.status();
  Shutdown();
  std::filesystem::remove_all(state_dir_);
  LoseDatabase();
  Boot();
  EXPECT_FALSE(hcs_.SystemExists(*id));
  EXPECT_FALSE(hcn_.NamespaceExists(network::hns::FormatGuid(network::hns::SiloNamespaceGuid(*id))));
}

TEST_F(WindowsSandboxTest, HostProcessPodsGetAJobOnlyWhateverHandlerTheyName) {
  absl::StatusOr<std::string> id = manager_->Run(Pod("hpc", /*host_process=*/true), "");
  ASSERT_TRUE(id.ok()) << id.status();
  absl::StatusOr<model::SandboxRecord> r = manager_->Status(*id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->handler_type, kHostProcessHandlerType);
  EXPECT_EQ(r->runtime_handler, "hostprocess");
  EXPECT_EQ(r->netns_path, "");
  EXPECT_EQ(hcn_.calls(network::hns::fake::FakeHcnCall::kCreateNamespace), 0);
  EXPECT_THAT(network_.adds(), IsEmpty());
  EXPECT_THAT(Systems(), IsEmpty());
  EXPECT_TRUE(jobs_.Win32JobExists(L"silo-pod-" + std::wstring(id->begin(), id->end())));
  EXPECT_FALSE(r->platform_data.contains(kPauseSystemIdKey));

  // A normal pod next to it still gets the process handler.
  absl::StatusOr<std::string> normal = manager_->Run(Pod("normal"), "");
  ASSERT_TRUE(normal.ok()) << normal.status();
  EXPECT_EQ(manager_->Status(*normal)->handler_type, kProcessHandlerType);

  Restart();
  EXPECT_EQ(manager_->Status(*id)->state, SandboxState::kReady);
  for (const std::string& pod : {*id, *normal}) StopAndRemove(pod);
  ExpectNothingLeft();
}

TEST_F(WindowsSandboxTest, AHostProcessPodWithoutAHostProcessHandlerIsRefusedNotRunIsolated) {
  Shutdown();
  with_host_process_ = false;
  Boot();
  absl::StatusOr<std::string> id = manager_->Run(Pod("hpc", /*host_process=*/true), "");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(id.status().message()), HasSubstr("\"hostprocess\""));
  ExpectNothingLeft();
}

TEST_F(WindowsSandboxTest, PauselessIsAnOptInThatStillMakesTheNamespace) {
  Shutdown();
  holder_ = PodHolder::kNone;
  Boot();
  absl::StatusOr<std::string> id = manager_->Run(Pod("pauseless"), "");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_THAT(Systems(), IsEmpty());
  EXPECT_TRUE(hcn_.NamespaceExists(manager_->Status(*id)->netns_path));
  EXPECT_EQ(network_.adds().size(), 1u);
  Restart();
  EXPECT_EQ(manager_->Status(*id)->state, SandboxState::kReady);
  StopAndRemove(*id);
  ExpectNothingLeft();
}

TEST_F(WindowsSandboxTest, PodStatsAreItsPauseSiloJobPlusItsRunningContainers) {
  absl::StatusOr<std::string> id = manager_->Run(Pod("measured"), "");
  ASSERT_TRUE(id.ok()) << id.status();
  for (const char* c : {"c1", "c2"}) {
    model::ContainerRecord rec;
    rec.id = c;
    rec.sandbox_id = *id;
    rec.metadata = {std::string("name-") + c, 0};
    rec.created_at_ns = 1;
    rec.started_at_ns = 2;
    ASSERT_TRUE(stores_.containers->Add(rec).ok());
  }
  auto job = [](uint64_t cpu, uint64_t ws) {
    stats::GroupCounters g;
    g.cpu_usage_ns = cpu;
    stats::MemoryCounters m;
    m.working_set_bytes = ws;
    g.memory = m;
    g.process_count = 1;
    return g;
  };
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_counters_["\\Container_" + *id] = job(1'000, 10);  // the pause's silo job
    job_counters_["\\Container_c1"] = job(20'000, 200);
    job_counters_["\\Container_c2"] = job(300'000, 3000);
    job_counters_["silo-pod-" + *id] = job(7, 7);  // holds none of them
  }
  stats::StatsSampler sampler({}, stores_.containers.get(), stores_.sandboxes.get(),
                              [this](const model::SandboxRecord& s) -> stats::StatsSource* {
                                auto h = registry_->For(s.runtime_handler, s.handler_type);
                                return h.ok() ? &(*h)->Stats() : nullptr;
                              });
  sampler.SampleNow();
  absl::StatusOr<stats::SandboxStatsView> pod = sampler.Sandbox(*id);
  ASSERT_TRUE(pod.ok()) << pod.status();
  ASSERT_TRUE(pod->stats.has_value());
  EXPECT_EQ(pod->stats->last.group.cpu_usage_ns, 321'000u);
  ASSERT_TRUE(pod->stats->last.group.memory.has_value());
  EXPECT_EQ(pod->stats->last.group.memory->working_set_bytes, 3210u);
  EXPECT_EQ(pod->stats->last.group.process_count, 3u);

  for (const char* c : {"c1", "c2"}) ASSERT_TRUE(stores_.containers->Delete(c).ok());
  StopAndRemove(*id);
  ExpectNothingLeft();
}

TEST(WindowsHandlerTypesTest, RefusesWiringThatWouldBreakRecovery) {
  fake::FakeHcs hcs;
  network::hns::fake::FakeHcn hcn;
  jobobject::fake::FakeJobApi jobs;
  WindowsHandlerParts p;
  p.hcs = &hcs.api();
  p.hcn = &hcn.api();
  p.jobs = &jobs.api();
  p.sandbox.state_dir = "/nonexistent-unused";
  p.make_stats = [] { return std::unique_ptr<stats::StatsSource>(); };
  p.make_streaming = [] { return std::make_unique<runtime::fake::FakeProcessStreaming>("w"); };
  p.sandbox.owner = p.containers.owner = "silo";
  handler::HandlerRegistry same_owner;
  RegisterWindowsHandlerTypes(same_owner, p);
  absl::Status s = same_owner.Configure({{"runhcs-wcow-process", "process", {}}}, "runhcs-wcow-process");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("owner"));

  p.sandbox.owner = "silo-sandbox";
  handler::HandlerRegistry no_hpc;
  RegisterWindowsHandlerTypes(no_hpc, p);
  s = no_hpc.Configure({{"hpc", "hostprocess", {}}}, "hpc");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("HostProcess container host"));
  EXPECT_THAT(no_hpc.Types(), ElementsAre("hostprocess", "hypervisor", "process"));
}

TEST(PodHolderTest, ParsesTheConfigSpelling) {
  EXPECT_EQ(*ParsePodHolder("pause"), PodHolder::kPause);
  EXPECT_EQ(*ParsePodHolder(""), PodHolder::kPause);
  EXPECT_EQ(*ParsePodHolder("none"), PodHolder::kNone);
  EXPECT_EQ(ParsePodHolder("off").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace silo::runtime::windows
