// The Windows container host against the in-memory computecore fake, each
// container held by its silo-shim (the real monitor code, as a simulated
// process of the fake, InProcessShimPort): life cycle, signals, failure
// paths with their rollback, exec output, the CRI log, silod restarts and
// shims that die.
#include "runtime/windows/hcs_container_host.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/base/saturating_time.h"
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/host_path/fake/fake_host_path_api.h"
#include "runtime/windows/hresult_codes.h"
#include "runtime/windows/shim/in_process_shim_port.h"

namespace silo::runtime::windows {
namespace {

using fake::FakeCall;
using fake::FakeFault;
using fake::FakeHcs;
using ::testing::HasSubstr;

// Polls `cond` for up to 10 s: shims and the host react on their own threads.
template <typename F>
bool Eventually(F cond) {
  for (int i = 0; i < 5000; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return cond();
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The contents of a CRI log's full lines of `stream`, timestamps dropped.
std::vector<std::string> LogLines(const std::string& log, const std::string& stream) {
  std::vector<std::string> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    const size_t sp = line.find(' ');
    if (sp == std::string::npos) continue;
    const std::string rest = line.substr(sp + 1);
    if (rest.rfind(stream + " F ", 0) == 0) out.push_back(rest.substr(stream.size() + 3));
  }
  return out;
}

class HcsContainerHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.mutable_metadata()->set_name("web");
    config_.mutable_windows()->mutable_resources()->set_memory_limit_in_bytes(256 << 20);
    sandbox_.id = "pod1";
    sandbox_.hostname = "web-0";
    sandbox_.netns_path = "0b4f5d0e-3c2a-4f57-9a61-7d1e2c3b4a59";
    // One per process too: two runs of the suite (a sanitizer stage beside a
    // developer's run) must not share a state dir.
    state_dir_ = std::filesystem::path(::testing::TempDir()) /
                 (std::string("hcs_host_") + ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
                  std::to_string(::getpid()));
    std::filesystem::remove_all(state_dir_);
    std::filesystem::create_directories(state_dir_ / "logs");
    paths_.AddVolume(L"C:", L"{4c1b1ff0-8a3f-4c1a-9d9a-1234567890ab}");
    shims_ = std::make_shared<shim::InProcessShimPort>(fake_);
    host_ = NewHost();
  }

  void TearDown() override {
    host_.reset();
    shims_.reset();
    fake_.Drain();
    std::filesystem::remove_all(state_dir_);
    EXPECT_EQ(fake_.bad_closes(), 0) << "a handle was closed twice or by a process that did not hold it";
    EXPECT_EQ(fake_.open_system_handles(0), 0) << "silod kept a compute system handle";
  }

  // Execs `command` in container `id` (main process `pid`); the exec
  // process (pid + 4: the fake numbers processes 100, 104, ...) writes
  // `output` and exits 0 once it runs.
  absl::StatusOr<container::ExecResult> ExecThatExits(const std::string& id, uint32_t pid,
                                                     std::vector<std::string> command, std::string output = "",
                                                     std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    std::thread exiter([&] {
      for (int i = 0; i < 30000 && !fake_.ProcessRunning(id, pid + 4); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      if (!output.empty()) fake_.WriteProcessOutput(id, pid + 4, false, output);
      fake_.ExitProcess(id, pid + 4, 0);
    });
    auto r = host_->Exec(id, id, std::move(command), timeout);
    exiter.join();
    return r;
  }

  std::unique_ptr<HcsContainerHost> NewHost() {
    HcsContainerHostOptions o;
    o.call_timeout = std::chrono::seconds(5);
    o.state_dir = state_dir_.string();
    o.shims = shims_;
    o.prepare_rootfs = [this](const container::CreateSpec& spec) -> absl::StatusOr<WindowsRootfs> {
      if (!fail_rootfs_.ok()) return fail_rootfs_;
      prepared_.push_back(spec.id);
      return WindowsRootfs{{{"a1b2c3d4-0000-5000-8000-000000000012", "C:\\silo\\layers\\12"}},
                           "\\\\?\\Volume{4c1b1ff0-8a3f-4c1a-9d9a-1234567890ab}\\"};
    };
    o.release_rootfs = [this](const std::string& id) {
      released_.push_back(id);
      return absl::OkStatus();
    };
    o.host_paths = &paths_.api();
    return std::make_unique<HcsContainerHost>(&fake_.api(), o);
  }

  container::CreateSpec Spec(const std::string& id) {
    container::CreateSpec s;
    s.id = id;
    s.sandbox = &sandbox_;
    s.config = &config_;
    s.args = {"cmd.exe", "/c", "echo hello world"};
    s.env = {"PATH=C:\\Windows\\system32", "EMPTY="};
    s.cwd = "C:\\app";
    s.username = "ContainerUser";
    s.log_path = (state_dir_ / "logs" / (id + ".log")).string();
    return s;
  }

  uint32_t StartedPid(const std::string& id) {
    absl::StatusOr<container::ProcessState> st = host_->State(id, id);
    EXPECT_TRUE(st.ok()) << st.status();
    return st.ok() ? static_cast<uint32_t>(st->pid) : 0;
  }

  std::string Log(const std::string& id) { return ReadAll(state_dir_ / "logs" / (id + ".log")); }

  // silod is SIGKILLed: the OS closes whatever handles it held, and a new
  // silod starts over the same state dir; the shims run on.
  void RestartSilod() {
    EXPECT_EQ(fake_.ReapHolder(0), 0) << "silod held HCS handles";
    host_ = NewHost();
  }

  FakeHcs fake_;
  host_path::fake::FakeHostPathApi paths_;
  std::filesystem::path state_dir_;
  ::runtime::v1::ContainerConfig config_;
  model::SandboxRecord sandbox_;
  absl::Status fail_rootfs_;
  std::vector<std::string> prepared_, released_;
  std::shared_ptr<shim::InProcessShimPort> shims_;
  std::unique_ptr<HcsContainerHost> host_;
};

TEST_F(HcsContainerHostTest, TheShimHoldsTheSystemFromCreateToRemove) {
  absl::StatusOr<std::string> handle = host_->Create(Spec("c1"));
  ASSERT_TRUE(handle.ok()) << handle.status();
  EXPECT_EQ(shims_->launches(), 1);
  EXPECT_EQ(fake_.SystemState("c1"), "Created");
  // The shim's handle is the system's only one, and its end is the system's.
  const int shim = shims_->holder_of("c1");
  ASSERT_NE(shim, 0);
  EXPECT_EQ(fake_.open_system_handles(shim), 1);
  EXPECT_EQ(fake_.open_system_handles(0), 0);
  const nlohmann::json doc = nlohmann::json::parse(fake_.Configuration("c1"));
  EXPECT_EQ(doc["ShouldTerminateOnLastHandleClosed"], true);
  EXPECT_EQ(doc["Owner"], "silo");
  // The files the shim was started with are gone (the environment is secret).
  EXPECT_FALSE(std::filesystem::exists(state_dir_ / "c1.process.json"));
  EXPECT_FALSE(std::filesystem::exists(state_dir_ / "c1.document.json"));

  absl::StatusOr<container::ProcessState> st = host_->State("c1", *handle);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_FALSE(st->started);
  EXPECT_FALSE(st->exited);

  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  EXPECT_EQ(fake_.SystemState("c1"), "Running");
  const uint32_t pid = StartedPid("c1");
  ASSERT_NE(pid, 0u);
  st = host_->State("c1", *handle);
  EXPECT_TRUE(st->started);
  EXPECT_FALSE(st->exited);
  EXPECT_EQ(host_->Wait("c1", *handle, std::chrono::milliseconds(10)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(host_->Wait("c1", *handle, std::chrono::milliseconds(0)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_FALSE(host_->MonitorGone("c1", *handle));

  // The main process's output reaches the CRI log through the shim.
  ASSERT_TRUE(fake_.WriteProcessOutput("c1", pid, false, "hello\n"));
  ASSERT_TRUE(fake_.WriteProcessOutput("c1", pid, true, "oops\n"));
  fake_.ExitProcess("c1", pid, 3);
  absl::StatusOr<container::ProcessState> exit = host_->Wait("c1", *handle, std::chrono::seconds(10));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(exit->exited);
  EXPECT_EQ(exit->exit_code, 3);
  EXPECT_GT(exit->exited_at_ns, 0);
  EXPECT_THAT(LogLines(Log("c1"), "stdout"), ::testing::ElementsAre("hello"));
  EXPECT_THAT(LogLines(Log("c1"), "stderr"), ::testing::ElementsAre("oops"));
  absl::StatusOr<std::optional<container::ProcessState>> recorded = host_->RecordedExit("c1");
  ASSERT_TRUE(recorded.ok() && recorded->has_value());
  EXPECT_EQ((*recorded)->exit_code, 3);
  // The shim shuts a system down once its main process is gone.
  EXPECT_TRUE(Eventually([&] { return fake_.SystemState("c1") == "Stopped"; }));

  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  EXPECT_EQ(shims_->live_shims(), 0);
  EXPECT_FALSE(fake_.SystemExists("c1"));
  EXPECT_EQ(released_, std::vector<std::string>{"c1"});
  EXPECT_FALSE(std::filesystem::exists(state_dir_ / "c1.hcs.json"));
  EXPECT_FALSE(std::filesystem::exists(state_dir_ / "c1.exit"));
  EXPECT_TRUE(host_->Remove("c1", *handle).ok()) << "Remove is idempotent";
}

TEST_F(HcsContainerHostTest, CreateFailuresLeaveNothing) {
  fake_.Inject({FakeCall::kCreateComputeSystem, FakeFault::kFailCall, codes::kHcsEInvalidJson, "bad document"});
  absl::Status s = host_->Create(Spec("c3")).status();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("c3"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("bad document"));
  EXPECT_FALSE(fake_.SystemExists("c3"));
  EXPECT_EQ(shims_->live_shims(), 0);
  EXPECT_EQ(released_, std::vector<std::string>{"c3"}) << "the rootfs is released";
  EXPECT_TRUE(std::filesystem::is_empty(state_dir_ / "logs"));
  for (const auto& f : std::filesystem::directory_iterator(state_dir_)) {
    EXPECT_TRUE(f.is_directory()) << "left behind: " << f.path();
  }

  fail_rootfs_ = absl::UnavailableError("layer store busy");
  EXPECT_EQ(host_->Create(Spec("c4")).status().code(), absl::StatusCode::kUnavailable);
  fail_rootfs_ = absl::OkStatus();
  EXPECT_EQ(shims_->launches(), 1);

  // A document the builder rejects never reaches a shim.
  sandbox_.netns_path = "";
  config_.add_mounts()->set_container_path("relative\\path");
  EXPECT_EQ(host_->Create(Spec("c5")).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(fake_.SystemExists("c5"));
  EXPECT_EQ(released_.back(), "c5");
  EXPECT_EQ(shims_->launches(), 1);
}

TEST_F(HcsContainerHostTest, AGmsaCredentialSpecIsRefusedBeforeAnythingIsMade) {
  config_.mutable_windows()->mutable_security_context()->set_credential_spec(R"({"CmsPlugins":["ActiveDirectory"]})");
  absl::Status s = host_->Create(Spec("c7")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(s.message()), HasSubstr("credential_spec"));
  EXPECT_FALSE(fake_.SystemExists("c7"));
  EXPECT_EQ(shims_->launches(), 0);
  EXPECT_TRUE(released_.empty()) << "no rootfs was prepared";
}

TEST_F(HcsContainerHostTest, WithoutAShimLauncherCreateSaysWhatIsMissing) {
  HcsContainerHostOptions o;
  o.state_dir = state_dir_.string();
  o.host_paths = &paths_.api();
  o.prepare_rootfs = [](const container::CreateSpec&) -> absl::StatusOr<WindowsRootfs> { return WindowsRootfs{}; };
  o.release_rootfs = [](const std::string&) { return absl::OkStatus(); };
  HcsContainerHost bare(&fake_.api(), o);
  absl::Status s = bare.Create(Spec("c6")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("silo-shim"));
}

TEST_F(HcsContainerHostTest, AFailedStartTerminatesTheSystem) {
  ASSERT_TRUE(host_->Create(Spec("c7")).ok());
  fake_.Inject({FakeCall::kCreateProcess, FakeFault::kFailResult, 0x80070002, "The system cannot find the file"});
  absl::Status s = host_->Start("c7", "c7");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("cannot find the file"));
  EXPECT_EQ(fake_.SystemState("c7"), "Stopped");
  ASSERT_TRUE(host_->Remove("c7", "c7").ok());
  EXPECT_FALSE(fake_.SystemExists("c7"));
}

TEST_F(HcsContainerHostTest, SignalsFollowHcsshimValidateWcow) {
  ASSERT_TRUE(host_->Create(Spec("k1")).ok());
  ASSERT_TRUE(host_->Start("k1", "k1").ok());
  const uint32_t pid = StartedPid("k1");
  ASSERT_TRUE(host_->Kill("k1", "k1", SIGTERM).ok());
  ASSERT_TRUE(Eventually([&] { return !fake_.Signals("k1", pid).empty(); }));
  EXPECT_THAT(fake_.Signals("k1", pid), ::testing::ElementsAre(R"({"Signal":"CtrlShutdown"})"));
  absl::Status refused = host_->Kill("k1", "k1", SIGUSR1);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr("not supported for Windows containers"));
  ASSERT_TRUE(host_->Kill("k1", "k1", SIGKILL).ok());
  absl::StatusOr<container::ProcessState> exit = host_->Wait("k1", "k1", std::chrono::seconds(10));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_FALSE(fake_.ProcessRunning("k1", pid));
  EXPECT_TRUE(host_->Kill("k1", "k1", SIGKILL).ok()) << "killing what has exited is not an error";
  ASSERT_TRUE(host_->Remove("k1", "k1").ok());
}

TEST_F(HcsContainerHostTest, AKillBeforeStartEndsTheContainerWithStatusOne) {
  ASSERT_TRUE(host_->Create(Spec("k2")).ok());
  ASSERT_TRUE(host_->Kill("k2", "k2", SIGKILL).ok());
  absl::StatusOr<container::ProcessState> st = host_->State("k2", "k2");
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_TRUE(st->exited);
  EXPECT_FALSE(st->started);
  EXPECT_EQ(st->exit_code, 1);
  EXPECT_EQ(fake_.SystemState("k2"), "Stopped");
  ASSERT_TRUE(host_->Remove("k2", "k2").ok());
}

TEST_F(HcsContainerHostTest, ExecSyncReturnsTheOutputAndHonoursTheTimeout) {
  ASSERT_TRUE(host_->Create(Spec("e1")).ok());
  ASSERT_TRUE(host_->Start("e1", "e1").ok());
  const uint32_t pid = StartedPid("e1");
  absl::StatusOr<container::ExecResult> r = ExecThatExits("e1", pid, {"hostname"}, "web-0\r\n");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->stdout_data, "web-0\r\n");
  // An exec's output never reaches the container log.
  EXPECT_THAT(Log("e1"), ::testing::Not(HasSubstr("web-0")));

  absl::Status late = host_->Exec("e1", "e1", {"ping", "-t", "localhost"}, std::chrono::milliseconds(30)).status();
  EXPECT_EQ(late.code(), absl::StatusCode::kDeadlineExceeded) << late;
  EXPECT_FALSE(fake_.ProcessRunning("e1", pid + 8)) << "the timed-out exec was terminated";
  EXPECT_TRUE(fake_.ProcessRunning("e1", pid)) << "the main process is untouched";
  ASSERT_TRUE(host_->Remove("e1", "e1").ok());
}

TEST_F(HcsContainerHostTest, ExecSyncWithoutATimeoutBoundsOnlyReachingTheShimNotTheAnswer) {
  ASSERT_TRUE(host_->Create(Spec("e2")).ok());
  ASSERT_TRUE(host_->Start("e2", "e2").ok());
  const uint32_t pid = StartedPid("e2");
  const auto before = std::chrono::steady_clock::now();
  absl::StatusOr<container::ExecResult> r =
      ExecThatExits("e2", pid, {"hostname"}, "web-0\r\n", std::chrono::milliseconds(0));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout_data, "web-0\r\n");
  const auto [send, answer] = shims_->last_deadlines();
  EXPECT_EQ(answer, shim::ShimPort::Deadline::max()) << "timeout 0 waits for the answer as long as the exec runs";
  EXPECT_GE(send, before);
  EXPECT_LE(send, std::chrono::steady_clock::now() + std::chrono::seconds(5)) << "reaching the shim stays bounded";
  ASSERT_TRUE(host_->Remove("e2", "e2").ok());
}

TEST_F(HcsContainerHostTest, ExecSyncWithTheLargestTimeoutDoesNotOverflowIntoThePast) {
  ASSERT_TRUE(host_->Create(Spec("e3")).ok());
  ASSERT_TRUE(host_->Start("e3", "e3").ok());
  const uint32_t pid = StartedPid("e3");
  // What the container manager passes for CRI's timeout of INT64_MAX seconds.
  const std::chrono::milliseconds largest =
      SaturatingDurationCast<std::chrono::milliseconds>(std::chrono::seconds(std::numeric_limits<int64_t>::max()));
  absl::StatusOr<container::ExecResult> r = ExecThatExits("e3", pid, {"hostname"}, "web-0\r\n", largest);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->stdout_data, "web-0\r\n");
  EXPECT_EQ(shims_->last_deadlines().second, shim::ShimPort::Deadline::max());
  ASSERT_TRUE(host_->Remove("e3", "e3").ok());
}

TEST_F(HcsContainerHostTest, ConsoleEventsReachTheProcessByTheirNumber) {
  ASSERT_TRUE(host_->Create(Spec("k3")).ok());
  ASSERT_TRUE(host_->Start("k3", "k3").ok());
  const uint32_t pid = StartedPid("k3");
  ASSERT_TRUE(host_->Kill("k3", "k3", 0).ok());  // CTRL_C_EVENT
  ASSERT_TRUE(Eventually([&] { return fake_.Signals("k3", pid).size() == 1; }));
  ASSERT_TRUE(host_->Kill("k3", "k3", 1).ok());  // CTRL_BREAK_EVENT
  ASSERT_TRUE(Eventually([&] { return fake_.Signals("k3", pid).size() == 2; }));
  ASSERT_TRUE(host_->Kill("k3", "k3", 5).ok());  // CTRL_LOGOFF_EVENT
  ASSERT_TRUE(Eventually([&] { return fake_.Signals("k3", pid).size() == 3; }));
  EXPECT_THAT(fake_.Signals("k3", pid), ::testing::ElementsAre(R"({"Signal":"CtrlC"})", R"({"Signal":"CtrlBreak"})",
                                                               R"({"Signal":"CtrlLogOff"})"));
  EXPECT_TRUE(fake_.ProcessRunning("k3", pid)) << "a console event is no kill";
  ASSERT_TRUE(host_->Kill("k3", "k3", SIGKILL).ok());
  ASSERT_TRUE(host_->Wait("k3", "k3", std::chrono::seconds(10)).ok());
  ASSERT_TRUE(host_->Remove("k3", "k3").ok());
}

TEST_F(HcsContainerHostTest, ReopenLogStartsAFreshFileAfterKubeletRotatedIt) {
  ASSERT_TRUE(host_->Create(Spec("l1")).ok());
  ASSERT_TRUE(host_->Start("l1", "l1").ok());
  const uint32_t pid = StartedPid("l1");
  const std::filesystem::path log = state_dir_ / "logs" / "l1.log";
  fake_.WriteProcessOutput("l1", pid, false, "before\n");
  ASSERT_TRUE(Eventually([&] { return !ReadAll(log).empty(); }));
  std::filesystem::rename(log, log.string() + ".1");
  ASSERT_TRUE(host_->ReopenLog("l1", "l1").ok());
  fake_.WriteProcessOutput("l1", pid, false, "after\n");
  fake_.ExitProcess("l1", pid, 0);
  ASSERT_TRUE(host_->Wait("l1", "l1", std::chrono::seconds(10)).ok());
  EXPECT_THAT(LogLines(ReadAll(log.string() + ".1"), "stdout"), ::testing::ElementsAre("before"));
  EXPECT_THAT(LogLines(ReadAll(log), "stdout"), ::testing::ElementsAre("after"));
  ASSERT_TRUE(host_->Remove("l1", "l1").ok());
}

// The manager's exit watch: fired once when the shim reports the exit, on
// the host's own thread; a cancelled watch never fires.
TEST_F(HcsContainerHostTest, ExitWatchFiresOnceAndCancelStopsIt) {
  ASSERT_TRUE(host_->Create(Spec("w1")).ok());
  ASSERT_TRUE(host_->Start("w1", "w1").ok());
  const uint32_t pid = StartedPid("w1");
  std::atomic<int> fired{0}, cancelled_fired{0};
  auto watch = host_->WatchExit("w1", "w1", [&] { ++fired; });
  ASSERT_NE(watch, nullptr);
  auto cancelled = host_->WatchExit("w1", "w1", [&] { ++cancelled_fired; });
  cancelled.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(fired, 0);
  fake_.ExitProcess("w1", pid, 0);
  EXPECT_TRUE(Eventually([&] { return fired == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(cancelled_fired, 0);
  watch.reset();
  ASSERT_TRUE(host_->Remove("w1", "w1").ok());
}

// silod SIGKILLed and restarted while containers run: they keep running in
// their shims, the log continues without lost or doubled lines, the new
// silod reaches them (state, exec, exit).
TEST_F(HcsContainerHostTest, ContainersRunOnThroughASilodRestart) {
  ASSERT_TRUE(host_->Create(Spec("r1")).ok());
  ASSERT_TRUE(host_->Start("r1", "r1").ok());
  const uint32_t pid = StartedPid("r1");
  fake_.WriteProcessOutput("r1", pid, false, "line 1\n");
  RestartSilod();
  EXPECT_EQ(fake_.SystemState("r1"), "Running");
  absl::StatusOr<container::ProcessState> st = host_->State("r1", "r1");
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_TRUE(st->started);
  EXPECT_FALSE(st->exited);
  EXPECT_EQ(st->pid, static_cast<int>(pid));
  EXPECT_FALSE(host_->MonitorGone("r1", "r1"));
  fake_.WriteProcessOutput("r1", pid, false, "line 2\n");
  absl::StatusOr<container::ExecResult> r = ExecThatExits("r1", pid, {"whoami"}, "containeruser\n");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout_data, "containeruser\n");
  fake_.ExitProcess("r1", pid, 4);
  absl::StatusOr<container::ProcessState> exit = host_->Wait("r1", "r1", std::chrono::seconds(10));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_code, 4);
  EXPECT_THAT(LogLines(Log("r1"), "stdout"), ::testing::ElementsAre("line 1", "line 2"));
  EXPECT_EQ(shims_->launches(), 1) << "the restarted silod re-connected, it did not relaunch";
  ASSERT_TRUE(host_->Remove("r1", "r1").ok());
}

// The container exited, then its shim and silod both died: the shim's
// durable exit record still gives the exit code.
TEST_F(HcsContainerHostTest, TheExitRecordSpeaksWhenShimAndSilodAreGone) {
  ASSERT_TRUE(host_->Create(Spec("x1")).ok());
  ASSERT_TRUE(host_->Start("x1", "x1").ok());
  const uint32_t pid = StartedPid("x1");
  fake_.ExitProcess("x1", pid, 42);
  ASSERT_TRUE(host_->Wait("x1", "x1", std::chrono::seconds(10)).ok());
  ASSERT_TRUE(shims_->KillShim("x1"));
  RestartSilod();
  EXPECT_TRUE(host_->MonitorGone("x1", "x1"));
  absl::StatusOr<std::optional<container::ProcessState>> recorded = host_->RecordedExit("x1");
  ASSERT_TRUE(recorded.ok() && recorded->has_value()) << recorded.status();
  EXPECT_EQ((*recorded)->exit_code, 42);
  absl::StatusOr<container::ProcessState> st = host_->State("x1", "x1");
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_TRUE(st->exited);
  EXPECT_EQ(st->exit_code, 42);
  ASSERT_TRUE(host_->Remove("x1", "x1").ok());
  EXPECT_FALSE(std::filesystem::exists(state_dir_ / "x1.exit"));
}

// A shim killed while its container runs takes the container along (its
// handle was the last, with ShouldTerminateOnLastHandleClosed): nothing
// leaks, and silod learns the monitor is gone without an exit record.
TEST_F(HcsContainerHostTest, AShimThatDiesTakesItsContainerAlong) {
  ASSERT_TRUE(host_->Create(Spec("d1")).ok());
  ASSERT_TRUE(host_->Start("d1", "d1").ok());
  std::atomic<int> fired{0};
  auto watch = host_->WatchExit("d1", "d1", [&] { ++fired; });
  ASSERT_TRUE(shims_->KillShim("d1"));
  fake_.Drain();
  EXPECT_FALSE(fake_.SystemExists("d1"));
  EXPECT_TRUE(Eventually([&] { return fired == 1; })) << "the watch learns of the hang-up";
  EXPECT_TRUE(host_->MonitorGone("d1", "d1"));
  absl::StatusOr<std::optional<container::ProcessState>> recorded = host_->RecordedExit("d1");
  ASSERT_TRUE(recorded.ok());
  EXPECT_FALSE(recorded->has_value());
  EXPECT_EQ(host_->State("d1", "d1").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(host_->Kill("d1", "d1", SIGKILL).ok());
  watch.reset();
  ASSERT_TRUE(host_->Remove("d1", "d1").ok());
  EXPECT_EQ(released_, std::vector<std::string>{"d1"});
}

// Recovery lists what silod owns: systems of its owner and containers that
// only have state files left; another runtime's systems are never listed.
TEST_F(HcsContainerHostTest, ListHostContainersFindsSystemsAndLeftoverFiles) {
  fake_.AddSystem("stray", "silo", /*running=*/true);
  fake_.AddSystem("theirs", "containerd", /*running=*/true);
  ASSERT_TRUE(host_->Create(Spec("o1")).ok());
  ASSERT_TRUE(host_->Create(Spec("o2")).ok());
  ASSERT_TRUE(shims_->KillShim("o2"));  // its system is gone, its files remain
  absl::StatusOr<std::vector<std::string>> ids = host_->ListHostContainers();
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_THAT(*ids, ::testing::UnorderedElementsAre("stray", "o1", "o2"));
  ASSERT_TRUE(host_->RemoveOrphan("stray").ok());
  EXPECT_FALSE(fake_.SystemExists("stray"));
  EXPECT_TRUE(fake_.SystemExists("theirs"));
  ASSERT_TRUE(host_->RemoveOrphan("o2").ok());
  ASSERT_TRUE(host_->Remove("o1", "o1").ok());
  ids = host_->ListHostContainers();
  ASSERT_TRUE(ids.ok());
  EXPECT_TRUE(ids->empty());
}

TEST_F(HcsContainerHostTest, UpdateResourcesModifiesTheRunningSystemAndRefusesAStoppedOne) {
  absl::StatusOr<std::string> handle = host_->Create(Spec("c1"));
  ASSERT_TRUE(handle.ok()) << handle.status();
  ::runtime::v1::WindowsContainerResources memory_and_max;
  memory_and_max.set_memory_limit_in_bytes(512 << 20);
  memory_and_max.set_cpu_maximum(5000);
  // Created, not started: HCS would refuse, and the limits are the document's.
  absl::Status s = host_->UpdateWindowsResources("c1", *handle, memory_and_max);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_TRUE(fake_.Modifications("c1").empty());

  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  s = host_->UpdateWindowsResources("c1", *handle, memory_and_max);
  ASSERT_TRUE(s.ok()) << s;
  ::runtime::v1::WindowsContainerResources count;
  count.set_cpu_count(2);
  ASSERT_TRUE(host_->UpdateWindowsResources("c1", *handle, count).ok());
  ::runtime::v1::WindowsContainerResources shares;
  shares.set_cpu_shares(300);
  ASSERT_TRUE(host_->UpdateWindowsResources("c1", *handle, shares).ok());
  // Refused before anything is sent.
  ::runtime::v1::WindowsContainerResources mixed = count;
  mixed.set_cpu_shares(300);
  EXPECT_EQ(host_->UpdateWindowsResources("c1", *handle, mixed).code(), absl::StatusCode::kInvalidArgument);
  ::runtime::v1::WindowsContainerResources rootfs;
  rootfs.set_rootfs_size_in_bytes(1 << 30);
  EXPECT_EQ(host_->UpdateWindowsResources("c1", *handle, rootfs).code(), absl::StatusCode::kUnimplemented);
  const std::vector<std::string> expected = {
      R"({"RequestType":"Update","ResourcePath":"Container/Memory/SizeInMB","Settings":512})",
      R"({"RequestType":"Update","ResourcePath":"Container/Processor","Settings":{"Maximum":5000}})",
      R"({"RequestType":"Update","ResourcePath":"Container/Processor","Settings":{"Count":2}})",
      R"({"RequestType":"Update","ResourcePath":"Container/Processor","Settings":{"Weight":300}})",
  };
  EXPECT_EQ(fake_.Modifications("c1"), expected);

  absl::StatusOr<container::ProcessState> st = host_->State("c1", *handle);
  ASSERT_TRUE(st.ok()) << st.status();
  fake_.ExitProcess("c1", static_cast<uint32_t>(st->pid), 0);
  ASSERT_TRUE(host_->Wait("c1", *handle, std::chrono::seconds(5)).ok());
  s = host_->UpdateWindowsResources("c1", *handle, memory_and_max);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("not running"));
  EXPECT_EQ(fake_.Modifications("c1"), expected);
  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
}

// hcsshim resolves a mount's host path before HCS sees it (HCS mis-resolves
// mapped files reached through symlinks): the document carries the final
// path, links and junctions followed; pipes are passed as they are.
TEST_F(HcsContainerHostTest, MountHostPathsReachHcsWithTheirLinksResolved) {
  paths_.AddVolume(L"D:", L"{9e2d7a11-0000-4000-8000-00000000000d}");
  paths_.AddPath(L"D:\\kubelet\\pods\\p1\\volumes\\cfg");
  paths_.AddLink(L"C:\\var\\lib\\kubelet", L"D:\\kubelet");  // kubelet's root moved behind a junction
  auto* dir = config_.add_mounts();
  dir->set_host_path("C:\\var\\lib\\kubelet\\pods\\p1\\volumes\\cfg");
  dir->set_container_path("C:\\cfg");
  dir->set_readonly(true);
  auto* pipe = config_.add_mounts();
  pipe->set_host_path("\\\\.\\pipe\\docker_engine");
  pipe->set_container_path("\\\\.\\pipe\\docker_engine");
  ASSERT_TRUE(host_->Create(Spec("m1")).ok());
  const nlohmann::json doc = nlohmann::json::parse(fake_.Configuration("m1"), nullptr, false);
  ASSERT_TRUE(doc.is_object()) << fake_.Configuration("m1");
  const nlohmann::json& mapped = doc["Container"]["MappedDirectories"];
  ASSERT_EQ(mapped.size(), 1u) << doc.dump();
  EXPECT_EQ(mapped[0].value("HostPath", ""),
            "\\\\?\\Volume{9e2d7a11-0000-4000-8000-00000000000d}\\kubelet\\pods\\p1\\volumes\\cfg");
  EXPECT_EQ(mapped[0].value("ContainerPath", ""), "C:\\cfg");
  EXPECT_EQ(doc["Container"]["MappedPipes"][0].value("HostPath", ""), "\\\\.\\pipe\\docker_engine");
  EXPECT_EQ(paths_.open_handles(), 0);
  ASSERT_TRUE(host_->Remove("m1", "m1").ok());

  // A host path that cannot be created (no such volume) fails the create, naming the mount, and leaves nothing.
  config_.clear_mounts();
  auto* missing = config_.add_mounts();
  missing->set_host_path("Q:\\var\\lib\\kubelet\\pods\\gone");
  missing->set_container_path("C:\\gone");
  absl::Status s = host_->Create(Spec("m2")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_NE(s.message().find("Q:\\var\\lib\\kubelet\\pods\\gone"), std::string::npos) << s;
  EXPECT_FALSE(fake_.SystemExists("m2"));
  EXPECT_EQ(released_.back(), "m2");
  EXPECT_EQ(paths_.open_handles(), 0);
}

// containerd creates a missing mount source (os.MkdirAll, as docker does)
// before resolving it; only one that cannot be created fails the create.
TEST_F(HcsContainerHostTest, MissingMountSourcesAreCreatedAsDirectories) {
  paths_.AddVolume(L"D:", L"{9e2d7a11-0000-4000-8000-00000000000d}");
  paths_.AddPath(L"D:\\kubelet");
  paths_.AddLink(L"C:\\var\\lib\\kubelet", L"D:\\kubelet");
  config_.clear_mounts();
  auto* missing = config_.add_mounts();
  missing->set_host_path("C:\\var\\lib\\kubelet\\pods\\new\\volumes\\empty");
  missing->set_container_path("C:\\empty");
  ASSERT_TRUE(host_->Create(Spec("m3")).ok());
  EXPECT_TRUE(paths_.Exists(L"D:\\kubelet\\pods\\new\\volumes\\empty"));  // behind the junction
  const nlohmann::json created = nlohmann::json::parse(fake_.Configuration("m3"), nullptr, false);
  EXPECT_EQ(created["Container"]["MappedDirectories"][0].value("HostPath", ""),
            "\\\\?\\Volume{9e2d7a11-0000-4000-8000-00000000000d}\\kubelet\\pods\\new\\volumes\\empty")
      << created.dump();
  ASSERT_TRUE(host_->Remove("m3", "m3").ok());

  EXPECT_EQ(paths_.open_handles(), 0);
}

// The main process runs as the spec's account (the image's User unless the
// CRI overrides it) and takes an image's pre-escaped command line raw; exec
// arguments are always quoted.
TEST_F(HcsContainerHostTest, MainProcessUsesTheImageCommandLineAndAccount) {
  container::CreateSpec spec = Spec("c8");
  spec.args = {"cmd /S /C echo hi"};
  spec.args_escaped = true;
  ASSERT_TRUE(host_->Create(spec).ok());
  ASSERT_TRUE(host_->Start("c8", "c8").ok());
  const uint32_t pid = static_cast<uint32_t>(host_->State("c8", "c8")->pid);
  const nlohmann::json params = nlohmann::json::parse(fake_.ProcessParameters("c8", pid), nullptr, false);
  ASSERT_TRUE(params.is_object()) << fake_.ProcessParameters("c8", pid);
  EXPECT_EQ(params.value("CommandLine", ""), "cmd /S /C echo hi");
  EXPECT_EQ(params.value("User", ""), "ContainerUser");

  ASSERT_TRUE(ExecThatExits("c8", pid, {"cmd /S /C echo hi"}).ok());
  const nlohmann::json exec = nlohmann::json::parse(fake_.ProcessParameters("c8", pid + 4), nullptr, false);
  EXPECT_EQ(exec.value("CommandLine", ""), "\"cmd /S /C echo hi\"");
  EXPECT_EQ(exec.value("User", ""), "ContainerUser");
  ASSERT_TRUE(host_->Remove("c8", "c8").ok());
}

// The process spec outlives silod with the system: a container created
// before a restart still starts with its command line, account and
// environment, and an exec after the restart runs as the container's
// account. A system whose spec was not kept runs nothing.
TEST_F(HcsContainerHostTest, TheProcessSpecSurvivesASilodRestart) {
  container::CreateSpec spec = Spec("rs");
  spec.args = {"cmd /S /C echo hi"};
  spec.args_escaped = true;
  ASSERT_TRUE(host_->Create(spec).ok());
  host_ = NewHost();
  ASSERT_TRUE(host_->Start("rs", "rs").ok());
  const uint32_t pid = static_cast<uint32_t>(host_->State("rs", "rs")->pid);
  nlohmann::json params = nlohmann::json::parse(fake_.ProcessParameters("rs", pid), nullptr, false);
  ASSERT_TRUE(params.is_object()) << fake_.ProcessParameters("rs", pid);
  EXPECT_EQ(params.value("CommandLine", ""), "cmd /S /C echo hi");
  EXPECT_EQ(params.value("User", ""), "ContainerUser");
  EXPECT_EQ(params.value("WorkingDirectory", ""), "C:\\app");
  EXPECT_EQ(params["Environment"].value("PATH", ""), "C:\\Windows\\system32");

  host_ = NewHost();
  ASSERT_TRUE(ExecThatExits("rs", pid, {"whoami"}).ok());
  params = nlohmann::json::parse(fake_.ProcessParameters("rs", pid + 4), nullptr, false);
  EXPECT_EQ(params.value("User", ""), "ContainerUser") << "an exec after a restart ran as another account";
  EXPECT_EQ(params["Environment"].value("PATH", ""), "C:\\Windows\\system32");

  // Without the kept spec nothing runs in the re-opened system.
  host_ = NewHost();
  std::filesystem::remove(state_dir_ / "rs.hcs.json");
  EXPECT_EQ(host_->Exec("rs", "rs", {"whoami"}, std::chrono::seconds(1)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(fake_.ProcessRunning("rs", pid + 8));
  ASSERT_TRUE(host_->Remove("rs", "rs").ok());
}

}  // namespace
}  // namespace silo::runtime::windows
