// The whole CRI service over the Windows handlers, on Linux: silod's daemon
// (front door on a unix socket, instrumented gRPC adapters, the portable
// core) wired by WireWindowsParts over the fake Windows API tables (HCS,
// HCN, Job Objects, WCIFS layers, host paths, HostProcess processes,
// readiness), each container held by a silo-shim monitor running in this
// process (InProcessShimPort). Images come from a real registry (Debian's
// docker-registry on 127.0.0.1) in the Windows layout; pods are networked
// by a CNI plugin the test installs. Driven only through CRI calls.
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cri/daemon/daemon.h"
#include "cri/daemon/windows/windows_cri_fixture.h"
#include "cri/daemon/windows/wire_windows_parts.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/windows/handler/windows_handlers.h"

namespace silo::cri {
namespace {

namespace fs = std::filesystem;
namespace v1 = ::runtime::v1;
namespace rw = runtime::windows;
using ::testing::HasSubstr;
using wintest::Eventually;
using wintest::ReadFile;

// silod in this process, over the fake tables directly.
class WindowsCriServiceTest : public wintest::WindowsCriFixture {
 protected:
  void SetUp() override {
    WindowsCriFixture::SetUp();
    auto daemon = Daemon::Start(MakeConfig(true), [this](const Config& c) { return WireWindowsParts(c, LocalApis()); });
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    daemon_ = std::move(*daemon);
    ConnectCri();
  }

  void TearDown() override {
    daemon_.reset();
    WindowsCriFixture::TearDown();
  }

  std::unique_ptr<Daemon> daemon_;
};

TEST_F(WindowsCriServiceTest, AProcessIsolatedPodRunsItsContainerEndToEndAndLeavesNothing) {
  {
    grpc::ClientContext ctx;
    v1::StatusResponse status;
    ASSERT_TRUE(runtime_->Status(&ctx, v1::StatusRequest(), &status).ok());
    for (const v1::RuntimeCondition& c : status.status().conditions()) {
      EXPECT_TRUE(c.status()) << c.type() << ": " << c.reason() << " " << c.message();
    }
  }
  std::string image_id;
  grpc::Status s = PullImage(Ref("app"), &image_id);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(layers_.Calls(image::layers::wcifs::LayerCall::kImportLayer).empty());

  // RunPodSandbox: an HCN namespace handed to CNI, the pause system from the
  // sandbox image (pulled on demand), no pod job (process isolation).
  const v1::PodSandboxConfig pod_config = PodConfig("web", false);
  std::string pod;
  s = RunPod(pod_config, &pod);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(hcn_.NamespaceIds().size(), 1u);
  const std::string guid = hcn_.NamespaceIds()[0];
  EXPECT_THAT(CniCalls(), ::testing::ElementsAre(absl::StrCat("ADD ", guid, " ", pod)));
  EXPECT_EQ(hcs_.SystemState(pod), "Running");
  const nlohmann::json pause_doc = nlohmann::json::parse(hcs_.Configuration(pod));
  EXPECT_EQ(pause_doc["Owner"], "silo-sandbox");
  EXPECT_EQ(pause_doc["Container"]["Networking"]["Namespace"], guid);
  ASSERT_EQ(RunningPids(pod).size(), 1u);
  EXPECT_THAT(hcs_.ProcessParameters(pod, RunningPids(pod)[0]), HasSubstr("pause.exe"));
  EXPECT_EQ(jobs_.jobs(), 0) << "process-isolated pods get no pod job";
  EXPECT_EQ(PodStatus(pod).state(), v1::SANDBOX_READY);
  EXPECT_EQ(PodStatus(pod).network().ip(), "10.88.0.5");

  // CreateContainer + StartContainer with a mount.
  v1::ContainerConfig config;
  config.mutable_metadata()->set_name("app");
  config.mutable_image()->set_image(Ref("app"));
  config.set_log_path("app/0.log");
  v1::Mount* mount = config.add_mounts();
  mount->set_container_path("C:\\data");
  mount->set_host_path("C:\\data");
  std::string ctr;
  s = CreateAndStart(pod, pod_config, config, &ctr);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(hcs_.SystemState(ctr), "Running");
  const nlohmann::json doc = nlohmann::json::parse(hcs_.Configuration(ctr));
  ASSERT_EQ(doc["Container"]["MappedDirectories"].size(), 1u);
  EXPECT_EQ(doc["Container"]["MappedDirectories"][0]["ContainerPath"], "C:\\data");
  EXPECT_EQ(doc["Container"]["Networking"]["Namespace"], guid);
  EXPECT_EQ(doc["Container"]["Storage"]["Layers"].size(), 2u);
  EXPECT_EQ(layers_.Activated().size(), 2u) << "the pause's scratch and the container's";
  ASSERT_EQ(RunningPids(ctr).size(), 1u);
  const uint32_t main_pid = RunningPids(ctr)[0];
  EXPECT_THAT(hcs_.ProcessParameters(ctr, main_pid), HasSubstr("app.exe"));
  EXPECT_EQ(Status(ctr).state(), v1::CONTAINER_RUNNING);

  // Output of the main process reaches the CRI log through its shim.
  ASSERT_TRUE(hcs_.WriteProcessOutput(ctr, main_pid, false, "hello from app\n"));
  ASSERT_TRUE(hcs_.WriteProcessOutput(ctr, main_pid, true, "a warning\n"));

  // ExecSync: a second process in the container; its output comes back.
  ExpectExecSyncAnswers(ctr, main_pid);

  // Stats: the container's silo job, and the pod's = containers + pause.
  SetJobCounters(absl::StrCat("\\Container_", ctr), 3'000'000'000, 64 << 20);
  SetJobCounters(absl::StrCat("\\Container_", pod), 500'000'000, 8 << 20);
  v1::ContainerStats container_stats;
  ASSERT_TRUE(Eventually([&] {
    grpc::ClientContext ctx;
    v1::ListContainerStatsResponse resp;
    if (!runtime_->ListContainerStats(&ctx, v1::ListContainerStatsRequest(), &resp).ok()) return false;
    if (resp.stats_size() != 1 || !resp.stats(0).has_cpu()) return false;
    container_stats = resp.stats(0);
    return container_stats.cpu().usage_core_nano_seconds().value() == 3'000'000'000;
  }));
  EXPECT_EQ(container_stats.attributes().id(), ctr);
  EXPECT_EQ(container_stats.memory().working_set_bytes().value(), 64u << 20);
  v1::PodSandboxStats pod_stats;
  v1::ListPodSandboxStatsResponse last;
  ASSERT_TRUE(Eventually([&] {
    grpc::ClientContext ctx;
    if (!runtime_->ListPodSandboxStats(&ctx, v1::ListPodSandboxStatsRequest(), &last).ok()) return false;
    if (last.stats_size() != 1 || !last.stats(0).windows().has_cpu()) return false;
    pod_stats = last.stats(0);
    return true;
  })) << last.DebugString();
  // In the `windows` message, the one kubelet on Windows reads.
  EXPECT_EQ(pod_stats.attributes().id(), pod);
  EXPECT_FALSE(pod_stats.has_linux());
  EXPECT_EQ(pod_stats.windows().cpu().usage_core_nano_seconds().value(), 3'500'000'000u);
  EXPECT_EQ(pod_stats.windows().memory().working_set_bytes().value(), (64u << 20) + (8u << 20));
  ASSERT_EQ(pod_stats.windows().containers_size(), 1);
  EXPECT_EQ(pod_stats.windows().containers(0).attributes().id(), ctr);
  EXPECT_EQ(pod_stats.windows().containers(0).cpu().usage_core_nano_seconds().value(), 3'000'000'000u);

  // The main process exits: the container is EXITED with its code.
  hcs_.ExitProcess(ctr, main_pid, 7);
  ASSERT_TRUE(Eventually([&] { return Status(ctr).state() == v1::CONTAINER_EXITED; }));
  EXPECT_EQ(Status(ctr).exit_code(), 7);
  const std::string log = ReadFile(absl::StrCat(dir_, "/logs/web/app/0.log"));
  EXPECT_THAT(log, HasSubstr(" stdout F hello from app\n"));
  EXPECT_THAT(log, HasSubstr(" stderr F a warning\n"));

  StopAndRemovePod(pod);
  EXPECT_THAT(CniCalls(), ::testing::ElementsAre(absl::StrCat("ADD ", guid, " ", pod),
                                                 absl::StrCat("DEL ", guid, " ", pod)));
  ExpectNothingLeft({pod, ctr});
  {
    grpc::ClientContext ctx;
    v1::ListContainersResponse resp;
    ASSERT_TRUE(runtime_->ListContainers(&ctx, v1::ListContainersRequest(), &resp).ok());
    EXPECT_EQ(resp.containers_size(), 0);
  }
}

TEST_F(WindowsCriServiceTest, AHostProcessPodRunsItsContainerInANamedJobOnTheHost) {
  std::string image_id;
  grpc::Status s = PullImage(Ref("app"), &image_id);
  ASSERT_TRUE(s.ok()) << s.error_message();
  processes_.SetProgram("C:\\app\\app.exe", {"host process says hi\n", "", std::nullopt});

  const v1::PodSandboxConfig pod_config = PodConfig("agent", true);
  std::string pod;
  s = RunPod(pod_config, &pod);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // No namespace, no CNI, no pause; the pod's job, named after it.
  EXPECT_TRUE(hcn_.NamespaceIds().empty());
  EXPECT_FALSE(fs::exists(dir_ + "/cni-bin/calls.log"));
  EXPECT_EQ(hcs_.SystemState(pod), "");
  EXPECT_TRUE(jobs_.Win32JobExists(std::wstring(L"silo-pod-") + std::wstring(pod.begin(), pod.end())));

  v1::ContainerConfig config;
  config.mutable_metadata()->set_name("agent");
  config.mutable_image()->set_image(Ref("app"));
  config.set_log_path("agent/0.log");
  config.mutable_windows()->mutable_security_context()->set_host_process(true);
  config.mutable_windows()->mutable_security_context()->set_run_as_username("NT AUTHORITY\\SYSTEM");
  std::string ctr;
  s = CreateAndStart(pod, pod_config, config, &ctr);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Status(ctr).state(), v1::CONTAINER_RUNNING);
  ASSERT_EQ(processes_.launches().size(), 1u);
  EXPECT_THAT(processes_.launches()[0].command_line, HasSubstr("app.exe"));
  EXPECT_FALSE(processes_.launches()[0].job.empty());
  EXPECT_TRUE(processes_.JobExists(processes_.launches()[0].job));
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(ReadFile(absl::StrCat(dir_, "/logs/agent/agent/0.log")), " stdout F host process says hi");
  }));

  StopAndRemovePod(pod);
  EXPECT_EQ(hcs_.calls(rw::fake::FakeCall::kCreateComputeSystem), 0);
  ExpectNothingLeft({pod, ctr});
}

}  // namespace
}  // namespace silo::cri
