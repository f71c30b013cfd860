// The whole CRI service over the Windows handlers with silod SIGKILLed and
// restarted in the middle: silod runs in a process of its own
// (silod_on_fake_windows_host) over the fake Windows host this test serves
// (fake_host/), which owns the fake API tables and the shims, simulated
// processes of the fake HCS and of the HostProcess fake that outlive silod.
// Killing silod closes the handles it held, as Windows does at process exit;
// the containers, a process-isolated one and a HostProcess one, held by
// their shims' handles, keep running and their logs keep every line.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cri/daemon/windows/fake_host/client_child.h"
#include "cri/daemon/windows/fake_host/host_server.h"
#include "cri/daemon/windows/fake_host/remote_hcn.h"
#include "cri/daemon/windows/fake_host/remote_hcs.h"
#include "cri/daemon/windows/fake_host/remote_host_paths.h"
#include "cri/daemon/windows/fake_host/remote_jobs.h"
#include "cri/daemon/windows/fake_host/remote_layers.h"
#include "cri/daemon/windows/fake_host/remote_processes.h"
#include "cri/daemon/windows/fake_host/remote_read_job.h"
#include "cri/daemon/windows/fake_host/remote_readiness.h"
#include "cri/daemon/windows/fake_host/remote_shim_port.h"
#include "cri/daemon/windows/windows_cri_fixture.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace silo::cri {
namespace {

namespace fs = std::filesystem;
namespace fh = fake_host;
namespace v1 = ::runtime::v1;
using wintest::Eventually;
using wintest::ReadFile;

class WindowsCriServiceRestartTest : public wintest::WindowsCriFixture {
 protected:
  void SetUp() override {
    WindowsCriFixture::SetUp();
    fh::HostEntries entries;
    fh::ServeHcs(entries, hcs_);
    fh::ServeHcn(entries, hcn_.api());
    fh::ServeLayers(entries, *layers_.api());
    fh::ServeHostPaths(entries, paths_.api());
    fh::ServeJobs(entries, jobs_.api());
    fh::ServeProcesses(entries, processes_.api());
    fh::ServeReadiness(entries, readiness_.api());
    fh::ServeShims(entries, shims_);
    fh::ServeReadJob(entries, JobReader());
    auto server =
        fh::FakeHostServer::Start(dir_ + "/host.sock", std::move(entries), [this] { return hcs_.ReapHolder(0); });
    ASSERT_TRUE(server.ok()) << server.status();
    host_ = std::move(*server);
    std::ofstream(dir_ + "/silod.yaml") << ConfigToYaml(MakeConfig({HostProcessHandler()}));
  }

  void TearDown() override {
    silod_.Kill();
    host_.reset();
    WindowsCriFixture::TearDown();
  }

  // Starts silod and waits until it answers Status.
  void StartSilod() {
    ++starts_;
    std::string error;
    ASSERT_TRUE(silod_.Start(fh::BesideThisTest("silod_on_fake_windows_host"),
                             {dir_ + "/host.sock", dir_ + "/silod.yaml"}, SilodLog(), &error))
        << error;
    ASSERT_TRUE(Eventually([&] {
      if (silod_.Exited()) return true;
      // A new channel each time: a failed one would wait out its reconnect backoff.
      ConnectCri();
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
      v1::StatusResponse status;
      return runtime_->Status(&ctx, v1::StatusRequest(), &status).ok();
    }));
    ASSERT_TRUE(silod_.running()) << "silod exited: " << ReadFile(SilodLog());
  }
  std::string SilodLog() const { return absl::StrCat(dir_, "/silod-", starts_, ".log"); }

  // What the CRI log says the container wrote to stdout, in order.
  std::vector<std::string> LoggedLines(const std::string& path) {
    std::vector<std::string> lines;
    for (absl::string_view record : absl::StrSplit(ReadFile(path), '\n', absl::SkipEmpty())) {
      // "<time> stdout F <text>"
      std::vector<absl::string_view> parts = absl::StrSplit(record, absl::MaxSplits(' ', 3));
      if (parts.size() == 4 && parts[1] == "stdout" && parts[2] == "F") lines.emplace_back(parts[3]);
    }
    return lines;
  }

  // "<prefix> 1" ... "<prefix> n".
  static std::vector<std::string> Numbered(const std::string& prefix, int n) {
    std::vector<std::string> lines;
    for (int i = 1; i <= n; ++i) lines.push_back(absl::StrCat(prefix, " ", i));
    return lines;
  }

  std::unique_ptr<fh::FakeHostServer> host_;
  fh::ClientChild silod_;
  int starts_ = 0;
};

TEST_F(WindowsCriServiceRestartTest, SilodKilledAndRestartedFindsItsContainersRunningWithEveryLogLineOnce) {
  StartSilod();
  std::string image_id;
  grpc::Status s = PullImage(Ref("app"), &image_id);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const v1::PodSandboxConfig pod_config = PodConfig("web", false);
  std::string pod;
  s = RunPod(pod_config, &pod);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << ReadFile(SilodLog());
  v1::ContainerConfig config;
  config.mutable_metadata()->set_name("app");
  config.mutable_image()->set_image(Ref("app"));
  config.set_log_path("app/0.log");
  std::string ctr;
  s = CreateAndStart(pod, pod_config, config, &ctr);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(RunningPids(ctr).size(), 1u);
  const uint32_t main_pid = RunningPids(ctr)[0];
  const std::string log_path = absl::StrCat(dir_, "/logs/web/app/0.log");
  int written = 0;
  auto write_lines = [&](int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(hcs_.WriteProcessOutput(ctr, main_pid, false, absl::StrCat("line ", ++written, "\n")));
    }
  };
  write_lines(5);
  ASSERT_TRUE(Eventually([&] { return LoggedLines(log_path).size() == 5u; })) << ReadFile(log_path);

  // A HostProcess pod beside it: its container is a process in a named job
  // on the host, held by its HostProcess shim, running as a temporary user
  // of a local group; it keeps logging.
  processes_.SetProgram("C:\\app\\app.exe", {"", "", std::nullopt, std::nullopt});
  processes_.SetProgram("whoami.exe", {"winnode\\agent\r\n", "", 0, std::nullopt});
  const v1::PodSandboxConfig hp_config = PodConfig("agent", true);
  std::string hp_pod;
  s = RunPod(hp_config, &hp_pod);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << ReadFile(SilodLog());
  v1::ContainerConfig hp_container = ContainerOf("agent", "app");
  hp_container.mutable_windows()->mutable_security_context()->set_host_process(true);
  hp_container.mutable_windows()->mutable_security_context()->set_run_as_username("Users");
  std::string hp_ctr;
  s = CreateAndStart(hp_pod, hp_config, hp_container, &hp_ctr);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << ReadFile(SilodLog());
  ASSERT_EQ(processes_.launches().size(), 1u);
  const std::string hp_job = processes_.launches()[0].job;
  ASSERT_TRUE(processes_.JobExists(hp_job));
  EXPECT_EQ(processes_.Users().size(), 1u) << "the container's temporary user";
  const std::string hp_log = absl::StrCat(dir_, "/logs/agent/agent/0.log");
  int hp_written = 0;
  auto write_hp_lines = [&](int n) {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(processes_.EmitStdout(hp_job, absl::StrCat("hp ", ++hp_written, "\n")));
  };
  write_hp_lines(5);
  ASSERT_TRUE(Eventually([&] { return LoggedLines(hp_log).size() == 5u; })) << ReadFile(hp_log);

  // silod is killed inside a call (UpdateContainerResources modifying the
  // container's system), so it dies holding a handle of its own to a system
  // created with ShouldTerminateOnLastHandleClosed.
  host_->HoldCalls(fh::Table::kHcs, fh::EntryId<&runtime::windows::hcs::HcsApi::modify_compute_system>());
  std::jthread update_call([&] {
    grpc::ClientContext ctx;
    v1::UpdateContainerResourcesRequest req;
    req.set_container_id(ctr);
    req.mutable_windows()->set_memory_limit_in_bytes(256 << 20);
    v1::UpdateContainerResourcesResponse resp;
    runtime_->UpdateContainerResources(&ctx, req, &resp);  // fails: silod dies
  });
  ASSERT_TRUE(host_->WaitForHeldCall(std::chrono::seconds(20)));
  EXPECT_EQ(hcs_.open_system_handles(0), 1) << "silod holds a handle to the container's system";
  ASSERT_TRUE(silod_.Kill());
  ASSERT_TRUE(host_->WaitForDeaths(1, std::chrono::seconds(20)));
  update_call.join();
  host_->ReleaseHeldCalls();
  {
    const std::vector<fh::FakeHostServer::Death> deaths = host_->deaths();
    ASSERT_EQ(deaths.size(), 1u);
    EXPECT_GE(deaths[0].hcs_handles, 2) << "its system handle and the operation";
  }
  EXPECT_EQ(hcs_.open_system_handles(0), 0);
  // The shim's handle keeps the container's system, created with
  // ShouldTerminateOnLastHandleClosed; the pause has no such flag.
  EXPECT_EQ(hcs_.SystemState(ctr), "Running");
  EXPECT_EQ(hcs_.SystemState(pod), "Running");
  EXPECT_EQ(shims_->live_shims(), 2);
  EXPECT_TRUE(hcs_.ProcessRunning(ctr, main_pid));
  // The HostProcess job lives on its shim's handle; silod held none.
  EXPECT_TRUE(processes_.JobExists(hp_job));
  EXPECT_EQ(processes_.HandlesOf(0), 0);
  EXPECT_EQ(processes_.LiveProcesses(), 1);

  // The containers write on while silod is away.
  write_lines(5);
  write_hp_lines(5);
  ASSERT_TRUE(Eventually([&] { return LoggedLines(log_path).size() == 10u; })) << ReadFile(log_path);
  ASSERT_TRUE(Eventually([&] { return LoggedLines(hp_log).size() == 10u; })) << ReadFile(hp_log);

  StartSilod();
  EXPECT_EQ(Status(ctr).state(), v1::CONTAINER_RUNNING);
  EXPECT_EQ(PodStatus(pod).state(), v1::SANDBOX_READY);
  EXPECT_EQ(Status(hp_ctr).state(), v1::CONTAINER_RUNNING);
  EXPECT_EQ(PodStatus(hp_pod).state(), v1::SANDBOX_READY);
  write_lines(5);
  write_hp_lines(5);
  ASSERT_TRUE(Eventually([&] { return LoggedLines(log_path).size() == 15u; })) << ReadFile(log_path);
  ASSERT_TRUE(Eventually([&] { return LoggedLines(hp_log).size() == 15u; })) << ReadFile(hp_log);
  EXPECT_EQ(LoggedLines(log_path), Numbered("line", 15)) << "every line once, in order";
  EXPECT_EQ(LoggedLines(hp_log), Numbered("hp", 15)) << "every line once, in order";

  // ExecSync reaches the shims that outlived the first silod.
  ExpectExecSyncAnswers(ctr, main_pid);
  const v1::ExecSyncResponse whoami = ExecSync(hp_ctr, "whoami.exe");
  EXPECT_EQ(whoami.stdout(), "winnode\\agent\r\n");
  EXPECT_EQ(whoami.exit_code(), 0);
  ASSERT_EQ(processes_.launches().size(), 2u);
  EXPECT_EQ(processes_.launches()[1].job, hp_job) << "the exec runs in the container's job";

  hcs_.ExitProcess(ctr, main_pid, 3);
  ASSERT_TRUE(Eventually([&] { return Status(ctr).state() == v1::CONTAINER_EXITED; }));
  EXPECT_EQ(Status(ctr).exit_code(), 3);

  StopAndRemovePod(hp_pod);
  EXPECT_FALSE(processes_.JobExists(hp_job));
  StopAndRemovePod(pod);
  ExpectNothingLeft({pod, ctr});
  EXPECT_EQ(host_->deaths().size(), 1u) << "the second silod is alive";
}

}  // namespace
}  // namespace silo::cri
