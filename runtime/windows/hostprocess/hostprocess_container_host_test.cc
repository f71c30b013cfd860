#include "runtime/windows/hostprocess/hostprocess_container_host.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include "runtime/base/saturating_time.h"
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/host_process.h"
#include "runtime/windows/hostprocess/fake/fake_process_api.h"
#include "runtime/windows/hostprocess/logon.h"
#include "runtime/windows/jobobject/api.h"
#include "runtime/windows/shim/in_process_shim_port.h"

namespace silo::runtime::windows::hostprocess {
namespace {

using container::CreateSpec;
using fake::FakeProcessApi;
using fake::FakeProgram;
using testing::Contains;
using testing::HasSubstr;

constexpr char kRootfs[] = "C:\\ProgramData\\silo\\rootfs\\c1";
constexpr std::chrono::milliseconds kLong{5000};

class HostProcessHostTest : public testing::Test {
 protected:
  void SetUp() override {
    log_dir_ = std::filesystem::path(testing::TempDir()) /
               ("hpc-" + std::string(testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(log_dir_);
    std::filesystem::create_directories(log_dir_);
    config_.mutable_windows()->mutable_security_context()->set_host_process(true);
    config_.mutable_windows()->mutable_security_context()->set_run_as_username("NT AUTHORITY\\SYSTEM");
    fake_.SetProgram("C:\\hpc\\tool.exe", FakeProgram{"hello\nworld\n", "oops\n", 3});
    fake_.SetProgram("C:\\hpc\\server.exe", FakeProgram{"up\n", "", std::nullopt});
    shims_ = std::make_shared<shim::InProcessShimPort>(hcs_, &fake_);
    MakeHost();
  }
  void TearDown() override {
    host_.reset();
    shims_.reset();
    std::filesystem::remove_all(log_dir_);
  }

  // silod's container host, new (a restarted silod) over the same shims
  // and state directory.
  void MakeHost() {
    HostProcessContainerHostOptions options;
    options.bind_filter_available = bind_filter_;
    options.host_cpus = 4;
    options.state_dir = (log_dir_ / "state").string();
    options.shims = shims_;
    host_ = std::make_unique<HostProcessContainerHost>(&fake_.api(), options);
  }

  CreateSpec Spec(const std::string& program, const std::string& id = "c1") {
    CreateSpec spec;
    spec.id = id;
    spec.config = &config_;
    spec.rootfs = kRootfs;
    spec.args = {"%CONTAINER_SANDBOX_MOUNT_POINT%\\" + program, "--flag"};
    spec.env = {"GREETING=hi", "DATA=$env:CONTAINER_SANDBOX_MOUNT_POINT\\data"};
    spec.username = config_.windows().security_context().run_as_username();
    spec.log_path = (log_dir_ / (id + ".log")).string();
    return spec;
  }

  std::string Log(const std::string& id = "c1") {
    std::ifstream in(log_dir_ / (id + ".log"));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  // Nothing of any container is left in the fake.
  void ExpectNothingLeft() {
    EXPECT_EQ(fake_.open_handles(), 0);
    EXPECT_EQ(fake_.bad_closes(), 0);
    EXPECT_EQ(fake_.environment_blocks(), 0);
    EXPECT_EQ(fake_.LiveProcesses(), 0);
    EXPECT_FALSE(fake_.JobExists("silo-hpc-c1"));
    EXPECT_TRUE(fake_.Users().empty());
    EXPECT_TRUE(fake_.Links().empty());
  }

  size_t IndexOf(const std::vector<std::string>& calls, const std::string& name) {
    return std::find(calls.begin(), calls.end(), name) - calls.begin();
  }

  FakeProcessApi fake_;
  windows::fake::FakeHcs hcs_;
  std::shared_ptr<shim::InProcessShimPort> shims_;
  bool bind_filter_ = true;
  ::runtime::v1::ContainerConfig config_;
  std::filesystem::path log_dir_;
  std::unique_ptr<HostProcessContainerHost> host_;
};

TEST_F(HostProcessHostTest, LifecycleRunsTheProcessInItsNamedSiloJobAndLogsItsOutput) {
  config_.mutable_windows()->mutable_resources()->set_memory_limit_in_bytes(256 << 20);
  config_.mutable_windows()->mutable_resources()->set_cpu_maximum(5000);
  absl::StatusOr<std::string> handle = host_->Create(Spec("tool.exe"));
  ASSERT_TRUE(handle.ok()) << handle.status();
  EXPECT_EQ(*handle, "silo-hpc-c1");
  ASSERT_TRUE(fake_.JobExists("silo-hpc-c1"));
  auto limits = fake_.Limits("silo-hpc-c1");
  ASSERT_TRUE(limits.has_value());
  EXPECT_TRUE(limits->kill_on_close);
  EXPECT_EQ(limits->job_memory_bytes, 256u << 20);
  EXPECT_EQ(limits->cpu_rate, 5000u);
  EXPECT_TRUE(fake_.IsSilo("silo-hpc-c1"));
  EXPECT_EQ(fake_.Binds("silo-hpc-c1").at("C:\\hpc"), kRootfs);

  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  absl::StatusOr<container::ProcessState> state = host_->Wait("c1", *handle, kLong);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_TRUE(state->started);
  EXPECT_TRUE(state->exited);
  EXPECT_EQ(state->exit_code, 3);
  EXPECT_GT(state->exited_at_ns, 0);

  ASSERT_EQ(fake_.launches().size(), 1u);
  const fake::FakeLaunch launch = fake_.launches()[0];
  EXPECT_EQ(launch.command_line, "C:\\hpc\\tool.exe --flag");
  EXPECT_EQ(launch.working_directory, "C:\\hpc");
  EXPECT_EQ(launch.user, "NT AUTHORITY\\SYSTEM");
  EXPECT_EQ(launch.job, "silo-hpc-c1");
  EXPECT_THAT(launch.environment, Contains("CONTAINER_SANDBOX_MOUNT_POINT=C:\\hpc\\"));
  EXPECT_THAT(launch.environment, Contains("GREETING=hi"));
  EXPECT_THAT(launch.environment, Contains("DATA=C:\\hpc\\data"));
  EXPECT_THAT(launch.environment, Contains("USERPROFILE=C:\\Users\\SYSTEM"));  // the token's default block
  EXPECT_THAT(launch.environment, Contains(HasSubstr("Path=C:\\Windows\\system32;C:\\Windows;C:\\hpc")));

  std::vector<std::string> calls = fake_.calls();
  EXPECT_LT(IndexOf(calls, "LogonUserW"), IndexOf(calls, "CreateProcessAsUserW"));
  EXPECT_LT(IndexOf(calls, "CreateProcessAsUserW"), IndexOf(calls, "ResumeThread"));
  EXPECT_LT(IndexOf(calls, "ResumeThread"), calls.size());

  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  std::string log = Log();
  EXPECT_THAT(log, HasSubstr(" stdout F hello\n"));
  EXPECT_THAT(log, HasSubstr(" stdout F world\n"));
  EXPECT_THAT(log, HasSubstr(" stderr F oops\n"));
  ExpectNothingLeft();
  EXPECT_TRUE(host_->Remove("c1", *handle).ok());  // idempotent
}

TEST_F(HostProcessHostTest, SigkillTerminatesTheJob) {
  auto handle = host_->Create(Spec("server.exe"));
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  auto running = host_->State("c1", *handle);
  ASSERT_TRUE(running.ok());
  EXPECT_TRUE(running->started);
  EXPECT_FALSE(running->exited);
  EXPECT_EQ(host_->Wait("c1", *handle, std::chrono::milliseconds(20)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  ASSERT_TRUE(host_->Kill("c1", *handle, 9).ok());
  auto state = host_->Wait("c1", *handle, kLong);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->exit_code, 1);
  EXPECT_EQ(fake_.LiveProcesses(), 0);
  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  EXPECT_THAT(Log(), HasSubstr(" stdout F up\n"));
  ExpectNothingLeft();
}

TEST_F(HostProcessHostTest, SigtermSendsCtrlShutdownAndTheProcessExitsItsOwnWay) {
  fake_.SetProgram("C:\\hpc\\graceful.exe", FakeProgram{"up\n", "", std::nullopt, 0});
  auto handle = host_->Create(Spec("graceful.exe"));
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  ASSERT_TRUE(host_->Kill("c1", *handle, 15).ok());
  auto state = host_->Wait("c1", *handle, kLong);
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(state->exited);
  EXPECT_EQ(state->exit_code, 0);  // its own exit, not TerminateProcess's 1
  ASSERT_EQ(fake_.CtrlEvents().size(), 1u);
  EXPECT_EQ(fake_.CtrlEvents()[0].second, kCtrlShutdownEvent);
  EXPECT_THAT(fake_.calls(), testing::Not(Contains("TerminateProcess")));
  EXPECT_TRUE(host_->Kill("c1", *handle, 15).ok());  // already exited: nothing to do
  EXPECT_EQ(fake_.CtrlEvents().size(), 1u);
  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  ExpectNothingLeft();
}

// hcsshim's ValidateWCOW: SIGQUIT (3) means nothing on Windows, so it is
// refused, and the process neither gets an event nor is terminated.
TEST_F(HostProcessHostTest, ASignalWindowsGivesNoMeaningIsRefusedAndTouchesNothing) {
  auto handle = host_->Create(Spec("server.exe"));
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  absl::Status refused = host_->Kill("c1", *handle, 3);
  EXPECT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.message()), HasSubstr("not supported"));
  EXPECT_EQ(host_->Wait("c1", *handle, std::chrono::milliseconds(20)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(fake_.CtrlEvents().empty());
  EXPECT_THAT(fake_.calls(), testing::Not(Contains("TerminateProcess")));
  ASSERT_TRUE(host_->Kill("c1", *handle, 9).ok());
  ASSERT_TRUE(host_->Wait("c1", *handle, kLong).ok());
  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  ExpectNothingLeft();
}

TEST_F(HostProcessHostTest, SigtermLeavesAProcessThatIgnoresItRunningUntilTheStopsSigkill) {
  auto handle = host_->Create(Spec("server.exe"));  // its handler ignores control events
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  // The manager's stop: the stop signal, the grace period, then SIGKILL.
  ASSERT_TRUE(host_->Kill("c1", *handle, 15).ok());
  EXPECT_EQ(host_->Wait("c1", *handle, std::chrono::milliseconds(50)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(fake_.LiveProcesses(), 1);
  ASSERT_TRUE(host_->Kill("c1", *handle, 9).ok());
  auto state = host_->Wait("c1", *handle, kLong);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->exit_code, 1);
  ASSERT_EQ(fake_.CtrlEvents().size(), 1u);
  EXPECT_EQ(fake_.CtrlEvents()[0].second, kCtrlShutdownEvent);
  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  ExpectNothingLeft();
}

TEST_F(HostProcessHostTest, SignalTwoSendsCtrlCloseAsHcsshimNumbersIt) {
  fake_.SetProgram("C:\\hpc\\graceful.exe", FakeProgram{"", "", std::nullopt, 130});
  auto handle = host_->Create(Spec("graceful.exe"));
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  ASSERT_TRUE(host_->Kill("c1", *handle, 2).ok());
  auto state = host_->Wait("c1", *handle, kLong);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->exit_code, 130);
  ASSERT_EQ(fake_.CtrlEvents().size(), 1u);
  EXPECT_EQ(fake_.CtrlEvents()[0].second, kCtrlCloseEvent);
  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  ExpectNothingLeft();
}

TEST_F(HostProcessHostTest, WhereNoControlEventCanBeDeliveredSigtermTerminatesTheMainProcess) {
  auto handle = host_->Create(Spec("server.exe"));
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  fake_.FailNext("CreateRemoteThread", 127);  // ERROR_PROC_NOT_FOUND: no CtrlRoutine
  ASSERT_TRUE(host_->Kill("c1", *handle, 15).ok());
  auto state = host_->Wait("c1", *handle, kLong);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->exit_code, 1);
  EXPECT_THAT(fake_.calls(), Contains("TerminateProcess"));
  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  ExpectNothingLeft();
}

TEST_F(HostProcessHostTest, ReopenLogStartsANewFileAfterRotation) {
  auto handle = host_->Create(Spec("server.exe"));
  ASSERT_TRUE(handle.ok());
  EXPECT_EQ(host_->ReopenLog("c1", *handle).code(), absl::StatusCode::kFailedPrecondition);  // not started
  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  for (int i = 0; i < 500 && Log().find("up") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_THAT(Log(), HasSubstr(" stdout F up\n"));
  std::filesystem::rename(log_dir_ / "c1.log", log_dir_ / "c1.log.1");
  ASSERT_TRUE(host_->ReopenLog("c1", *handle).ok());
  EXPECT_TRUE(std::filesystem::exists(log_dir_ / "c1.log"));
  EXPECT_EQ(Log(), "");
  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  ExpectNothingLeft();
}

TEST_F(HostProcessHostTest, ExecRunsInTheSameJobWithTheSameUser) {
  fake_.SetProgram("whoami.exe", FakeProgram{"nt authority\\system\n", "", 0});
  fake_.SetProgram("C:\\hpc\\check.exe", FakeProgram{"", "bad\n", 2});
  auto handle = host_->Create(Spec("server.exe"));
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  auto exec = host_->Exec("c1", *handle, {"whoami.exe"}, kLong);
  ASSERT_TRUE(exec.ok()) << exec.status();
  EXPECT_EQ(exec->exit_code, 0);
  EXPECT_EQ(exec->stdout_data, "nt authority\\system\n");
  auto check = host_->Exec("c1", *handle, {"%CONTAINER_SANDBOX_MOUNT_POINT%\\check.exe"}, kLong);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_EQ(check->exit_code, 2);
  EXPECT_EQ(check->stderr_data, "bad\n");
  auto launches = fake_.launches();
  ASSERT_EQ(launches.size(), 3u);
  EXPECT_EQ(launches[1].job, "silo-hpc-c1");
  EXPECT_EQ(launches[1].user, "NT AUTHORITY\\SYSTEM");
  EXPECT_EQ(launches[2].command_line, "C:\\hpc\\check.exe");
  EXPECT_EQ(fake_.LiveProcesses(), 1);  // only the main process
  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  ExpectNothingLeft();
}

TEST_F(HostProcessHostTest, ExecAndWaitWithTheLargestTimeoutDoNotOverflowIntoThePast) {
  fake_.SetProgram("hostname.exe", FakeProgram{"web-0\r\n", "", 0});
  auto handle = host_->Create(Spec("server.exe"));
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  // What the container manager passes for CRI's timeout of INT64_MAX seconds.
  const std::chrono::milliseconds largest =
      SaturatingDurationCast<std::chrono::milliseconds>(std::chrono::seconds(std::numeric_limits<int64_t>::max()));
  auto exec = host_->Exec("c1", *handle, {"hostname.exe"}, largest);
  ASSERT_TRUE(exec.ok()) << exec.status();
  EXPECT_EQ(exec->stdout_data, "web-0\r\n");
  ASSERT_TRUE(host_->Kill("c1", *handle, 9).ok());
  auto state = host_->Wait("c1", *handle, largest);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_TRUE(state->exited);
  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  ExpectNothingLeft();
}

TEST_F(HostProcessHostTest, ExecTimeoutEndsTheExecProcessOnly) {
  fake_.SetProgram("hang.exe", FakeProgram{"", "", std::nullopt});
  auto handle = host_->Create(Spec("server.exe"));
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  auto exec = host_->Exec("c1", *handle, {"hang.exe"}, std::chrono::milliseconds(30));
  EXPECT_EQ(exec.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(fake_.LiveProcesses(), 1);
  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  ExpectNothingLeft();
}

class CreateFailureTest : public HostProcessHostTest, public testing::WithParamInterface<const char*> {};

TEST_P(CreateFailureTest, LeavesNothing) {
  fake_.FailNext(GetParam(), 5);
  auto handle = host_->Create(Spec("tool.exe"));
  EXPECT_FALSE(handle.ok());
  ExpectNothingLeft();
  // A retry after the failure works.
  handle = host_->Create(Spec("tool.exe"));
  ASSERT_TRUE(handle.ok()) << handle.status();
  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  ExpectNothingLeft();
}
INSTANTIATE_TEST_SUITE_P(EachStep, CreateFailureTest,
                         testing::Values("CreateJobObjectW", "SetInformationJobObject", "JobObjectCreateSilo",
                                         "BfSetupFilter"));

class StartFailureTest : public HostProcessHostTest, public testing::WithParamInterface<const char*> {};

TEST_P(StartFailureTest, LeavesOnlyTheCreatedJobAndRemoveClearsIt) {
  config_.mutable_windows()->mutable_security_context()->set_run_as_username("Users");  // a temporary user
  auto handle = host_->Create(Spec("server.exe"));
  ASSERT_TRUE(handle.ok());
  fake_.FailNext(GetParam(), 5);
  absl::Status started = host_->Start("c1", *handle);
  EXPECT_FALSE(started.ok());
  EXPECT_THAT(started.message(), HasSubstr("error 5"));
  EXPECT_EQ(fake_.LiveProcesses(), 0);
  EXPECT_EQ(fake_.open_handles(), 1);  // the job, until Remove
  EXPECT_EQ(fake_.environment_blocks(), 0);
  EXPECT_TRUE(fake_.Users().empty());
  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  ExpectNothingLeft();
}
INSTANTIATE_TEST_SUITE_P(EachStep, StartFailureTest,
                         testing::Values("NetUserAdd", "LogonUserW", "CreateEnvironmentBlock", "CreatePipe",
                                         "CreateProcessAsUserW", "ResumeThread"));

TEST_F(HostProcessHostTest, WithoutTheBindFilterTheMountPointAndMountsAreLinks) {
  bind_filter_ = false;
  fake_.SetBindFilter(false);
  MakeHost();
  fake_.SetProgram("C:\\hpc\\c1\\tool.exe", FakeProgram{"", "", 0});
  auto* mount = config_.add_mounts();
  mount->set_host_path("C:\\var\\lib\\kubelet\\pods\\p\\volumes\\config");
  mount->set_container_path("C:\\etc\\config");
  config_.set_working_dir("C:\\work");
  CreateSpec spec = Spec("tool.exe");
  spec.cwd = "C:\\work";
  auto handle = host_->Create(spec);
  ASSERT_TRUE(handle.ok()) << handle.status();
  EXPECT_FALSE(fake_.IsSilo("silo-hpc-c1"));
  auto links = fake_.Links();
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links.at("C:\\hpc\\c1"), kRootfs);
  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  ASSERT_TRUE(host_->Wait("c1", *handle, kLong).ok());
  EXPECT_EQ(fake_.launches()[0].working_directory, "C:\\hpc\\c1\\work");
  EXPECT_THAT(fake_.launches()[0].environment, Contains("CONTAINER_SANDBOX_MOUNT_POINT=C:\\hpc\\c1\\"));
  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  ExpectNothingLeft();
}

TEST_F(HostProcessHostTest, ALocalGroupRunsAsATemporaryUserDeletedOnRemove) {
  config_.mutable_windows()->mutable_security_context()->set_run_as_username("Users");
  auto handle = host_->Create(Spec("server.exe", "0123456789abcdef0123"));
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(host_->Start("0123456789abcdef0123", *handle).ok());
  EXPECT_THAT(fake_.Users(), testing::ElementsAre("0123456789abcdef0123"));
  EXPECT_EQ(fake_.launches()[0].user, "0123456789abcdef0123");
  EXPECT_THAT(fake_.launches()[0].environment, Contains("USERPROFILE=C:\\Users\\0123456789abcdef0123"));
  ASSERT_TRUE(host_->Remove("0123456789abcdef0123", *handle).ok());
  ExpectNothingLeft();
}

TEST_F(HostProcessHostTest, TemporaryUserPasswordsComeFromTheSystemRandomBytes) {
  config_.mutable_windows()->mutable_security_context()->set_run_as_username("Users");
  auto first = host_->Create(Spec("server.exe", "c1"));
  auto second = host_->Create(Spec("server.exe", "c2"));
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE(host_->Start("c1", *first).ok());
  ASSERT_TRUE(host_->Start("c2", *second).ok());
  auto draws = fake_.RandomDraws();
  ASSERT_EQ(draws.size(), 2u);
  EXPECT_EQ(draws[0].size(), kPasswordRandomBytes);
  EXPECT_EQ(fake_.Password("c1"), PasswordFromRandomBytes(draws[0]));
  EXPECT_EQ(fake_.Password("c2"), PasswordFromRandomBytes(draws[1]));
  EXPECT_NE(fake_.Password("c1"), fake_.Password("c2"));
  EXPECT_EQ(fake_.Password("c1").size(), 4 + kPasswordRandomBytes / 4);
  auto calls = fake_.calls();
  EXPECT_LT(IndexOf(calls, "BCryptGenRandom"), IndexOf(calls, "NetUserAdd"));
  ASSERT_TRUE(host_->Remove("c1", *first).ok());
  ASSERT_TRUE(host_->Remove("c2", *second).ok());
  ExpectNothingLeft();
}

TEST_F(HostProcessHostTest, ARandomBytesFailureFailsStartAndMakesNoUser) {
  config_.mutable_windows()->mutable_security_context()->set_run_as_username("Users");
  auto handle = host_->Create(Spec("server.exe"));
  ASSERT_TRUE(handle.ok());
  fake_.FailNext("BCryptGenRandom", 0xC0000001);  // STATUS_UNSUCCESSFUL
  absl::Status started = host_->Start("c1", *handle);
  EXPECT_EQ(started.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(started.message(), HasSubstr("BCryptGenRandom"));
  EXPECT_THAT(started.message(), HasSubstr("0xC0000001"));
  EXPECT_THAT(fake_.calls(), testing::Not(Contains("NetUserAdd")));
  EXPECT_TRUE(fake_.Users().empty());
  EXPECT_EQ(fake_.LiveProcesses(), 0);
  EXPECT_EQ(fake_.open_handles(), 1);  // the job, until Remove
  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  ExpectNothingLeft();
}

TEST_F(HostProcessHostTest, ServiceAccountsLogOnAsServicesInAnyCase) {
  config_.mutable_windows()->mutable_security_context()->set_run_as_username("nt authority\\Network Service");
  auto handle = host_->Create(Spec("tool.exe"));
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  EXPECT_EQ(fake_.launches()[0].user, "NT AUTHORITY\\NETWORK SERVICE");
  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  ExpectNothingLeft();
}

TEST_F(HostProcessHostTest, InheritUserAnnotationUsesSilodsOwnToken) {
  config_.mutable_windows()->mutable_security_context()->clear_run_as_username();
  (*config_.mutable_annotations())[kHostProcessInheritUserAnnotation] = "true";
  auto handle = host_->Create(Spec("tool.exe"));
  ASSERT_TRUE(handle.ok()) << handle.status();
  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  EXPECT_THAT(fake_.calls(), Contains("OpenProcessToken"));
  EXPECT_THAT(fake_.calls(), testing::Not(Contains("LogonUserW")));
  EXPECT_EQ(fake_.launches()[0].user, "");
  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  ExpectNothingLeft();
}

TEST_F(HostProcessHostTest, BadUsersAndMixedPodsAreRejectedBeforeAnyCall) {
  config_.mutable_windows()->mutable_security_context()->set_run_as_username("CONTOSO\\alice");
  EXPECT_EQ(host_->Create(Spec("tool.exe")).status().code(), absl::StatusCode::kInvalidArgument);
  config_.mutable_windows()->mutable_security_context()->set_run_as_username("NT AUTHORITY\\SYSTEM");
  config_.mutable_windows()->mutable_security_context()->set_host_process(false);
  EXPECT_EQ(host_->Create(Spec("tool.exe")).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(fake_.calls().empty());
}

TEST_F(HostProcessHostTest, AJobOfTheSameNameIsNeverJoined) {
  fake_.AddForeignJob("silo-hpc-c1", jobobject::kAdministratorsSid);  // even with silod's owner
  EXPECT_EQ(host_->Create(Spec("tool.exe")).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(fake_.open_handles(), 0);
  EXPECT_TRUE(fake_.JobExists("silo-hpc-c1"));  // the other holder's job is untouched
  EXPECT_THAT(fake_.calls(), testing::Not(Contains("TerminateJobObject")));
  fake_.ReleaseJob("silo-hpc-c1");
}

TEST_F(HostProcessHostTest, ProcessesAreBornInTheirContainersJobAndBreakAwayFromSilods) {
  fake_.RunSilodInAJob(/*allows_breakaway=*/true);
  auto handle = host_->Create(Spec("server.exe"));
  ASSERT_TRUE(handle.ok()) << handle.status();
  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  auto exec = host_->Exec("c1", *handle, {"C:\\hpc\\tool.exe"}, kLong);
  ASSERT_TRUE(exec.ok()) << exec.status();
  ASSERT_EQ(fake_.launches().size(), 2u);
  for (const fake::FakeLaunch& launch : fake_.launches()) {
    EXPECT_EQ(launch.job, "silo-hpc-c1") << launch.command_line;
    EXPECT_FALSE(launch.in_silods_job) << launch.command_line;
  }
  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  ExpectNothingLeft();
}

TEST_F(HostProcessHostTest, WhereSilodsJobForbidsBreakawayStartFailsAndLeavesNothing) {
  fake_.RunSilodInAJob(/*allows_breakaway=*/false);
  auto handle = host_->Create(Spec("server.exe"));
  ASSERT_TRUE(handle.ok()) << handle.status();
  absl::Status started = host_->Start("c1", *handle);
  EXPECT_FALSE(started.ok());
  EXPECT_THAT(started.message(), HasSubstr("CreateProcessAsUserW"));
  EXPECT_TRUE(fake_.launches().empty());
  EXPECT_EQ(fake_.LiveProcesses(), 0);
  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  ExpectNothingLeft();
}

TEST_F(HostProcessHostTest, TheJobHasSilodsNameAndOnlySystemAndAdministratorsMayUseIt) {
  auto handle = host_->Create(Spec("tool.exe"));
  ASSERT_TRUE(handle.ok()) << handle.status();
  EXPECT_EQ(*handle, "silo-hpc-c1");  // never hcsshim's JobContainer_<id>
  EXPECT_EQ(fake_.JobSddl("silo-hpc-c1"), jobobject::kSilodJobSddl);
  EXPECT_EQ(fake_.JobOwner("silo-hpc-c1"), jobobject::kAdministratorsSid);
  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  ExpectNothingLeft();
}

TEST_F(HostProcessHostTest, AJobSomeoneElseMadeUnderItsNameAfterTheShimDiedIsNeverTouched) {
  auto handle = host_->Create(Spec("server.exe"));
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  ASSERT_TRUE(shims_->KillShim("c1"));  // the container ended with its shim's job handle
  MakeHost();
  fake_.AddForeignJob("silo-hpc-c1");  // a user squats the name
  const size_t calls_before = fake_.calls().size();
  EXPECT_TRUE(host_->Kill("c1", *handle, 15).ok());
  EXPECT_TRUE(host_->Kill("c1", *handle, 9).ok());
  EXPECT_EQ(host_->Stats("c1").status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(host_->MonitorGone("c1", *handle));
  auto state = host_->State("c1", *handle);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_TRUE(state->exited);
  EXPECT_EQ(state->exit_code, kUnknownExitCode);
  EXPECT_TRUE(host_->KillUnmonitored("c1").ok());
  EXPECT_TRUE(host_->Remove("c1", *handle).ok());
  const std::vector<std::string> calls = fake_.calls();
  const std::vector<std::string> after(calls.begin() + static_cast<std::ptrdiff_t>(calls_before), calls.end());
  EXPECT_THAT(after, Contains("GetSecurityInfo"));
  EXPECT_THAT(after, testing::Not(Contains("TerminateJobObject")));
  EXPECT_THAT(after, testing::Not(Contains("TerminateProcess")));
  EXPECT_TRUE(fake_.JobExists("silo-hpc-c1"));
  EXPECT_EQ(fake_.open_handles(), 0);
  EXPECT_EQ(fake_.bad_closes(), 0);
  fake_.ReleaseJob("silo-hpc-c1");
}

TEST_F(HostProcessHostTest, AfterARestartOnlyTheJobTheRecordNamesIsReopened) {
  fake_.AddForeignJob("JobContainer_c1", jobobject::kAdministratorsSid);  // e.g. containerd's
  MakeHost();
  // A record from a silod that named the job otherwise: that job is not
  // looked up by either name.
  auto state = host_->State("c1", "JobContainer_c1");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_TRUE(state->exited);
  EXPECT_TRUE(host_->Remove("c1", "JobContainer_c1").ok());
  EXPECT_THAT(fake_.calls(), testing::Not(Contains("OpenJobObjectW")));
  EXPECT_TRUE(fake_.JobExists("JobContainer_c1"));
  fake_.ReleaseJob("JobContainer_c1");
  ExpectNothingLeft();
}

TEST_F(HostProcessHostTest, StatsComeFromTheJobAccounting) {
  auto handle = host_->Create(Spec("server.exe"));
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  JobAccountingSpec acct;
  acct.user_time_100ns = 30;
  acct.kernel_time_100ns = 12;
  acct.commit_bytes = 4096;
  acct.peak_commit_bytes = 8192;
  acct.read_bytes = 100;
  acct.write_bytes = 200;
  fake_.SetAccounting("silo-hpc-c1", acct);
  auto stats = host_->Stats("c1");
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->cpu_usage_ns, 4200u);
  EXPECT_EQ(stats->memory_commit_bytes, 4096u);
  EXPECT_EQ(stats->peak_memory_commit_bytes, 8192u);
  EXPECT_EQ(stats->active_processes, 1u);
  EXPECT_EQ(stats->read_bytes, 100u);
  EXPECT_EQ(stats->write_bytes, 200u);
  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  EXPECT_EQ(host_->Stats("c1").status().code(), absl::StatusCode::kNotFound);
  ExpectNothingLeft();
}

TEST_F(HostProcessHostTest, TheContainerOutlivesSilodsRestartAndItsLogContinues) {
  auto handle = host_->Create(Spec("server.exe"));
  ASSERT_TRUE(handle.ok()) << handle.status();
  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  ASSERT_TRUE(fake_.EmitStdout("silo-hpc-c1", "before restart\n"));
  // silod goes away: its host is destroyed and its own handles (process 0)
  // are gone; the shim (another simulated process) holds the job.
  host_.reset();
  EXPECT_EQ(fake_.HandlesOf(0), 0);
  EXPECT_EQ(fake_.LiveProcesses(), 1);
  MakeHost();
  EXPECT_FALSE(host_->MonitorGone("c1", *handle));
  auto state = host_->State("c1", *handle);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_TRUE(state->started);
  EXPECT_FALSE(state->exited);
  ASSERT_TRUE(fake_.EmitStdout("silo-hpc-c1", "after restart\n"));
  auto exec = host_->Exec("c1", *handle, {"C:\\hpc\\tool.exe"}, kLong);
  ASSERT_TRUE(exec.ok()) << exec.status();
  EXPECT_EQ(exec->stdout_data, "hello\nworld\n");
  auto stats = host_->Stats("c1");
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->active_processes, 1u);
  ASSERT_TRUE(host_->Kill("c1", *handle, 15).ok());
  ASSERT_TRUE(host_->Kill("c1", *handle, 9).ok());
  auto exited = host_->Wait("c1", *handle, kLong);
  ASSERT_TRUE(exited.ok()) << exited.status();
  EXPECT_TRUE(exited->exited);
  EXPECT_EQ(exited->exit_code, 1);
  ASSERT_TRUE(host_->Remove("c1", *handle).ok());
  const std::string log = Log();
  for (const char* line : {" stdout F up\n", " stdout F before restart\n", " stdout F after restart\n"}) {
    const size_t at = log.find(line);
    ASSERT_NE(at, std::string::npos) << line << " missing from\n" << log;
    EXPECT_EQ(log.find(line, at + 1), std::string::npos) << line << " twice in\n" << log;
  }
  EXPECT_LT(log.find("before restart"), log.find("after restart"));
  ExpectNothingLeft();
}

TEST_F(HostProcessHostTest, WhenTheShimDiesItsJobEndsWithItAndRemoveClearsWhatItLeft) {
  config_.mutable_windows()->mutable_security_context()->set_run_as_username("Users");  // a temporary user
  bind_filter_ = false;  // links on the host
  fake_.SetProgram("C:\\hpc\\c1\\server.exe", FakeProgram{"up\n", "", std::nullopt});
  MakeHost();
  auto handle = host_->Create(Spec("server.exe"));
  ASSERT_TRUE(handle.ok()) << handle.status();
  absl::Status started = host_->Start("c1", *handle);
  ASSERT_TRUE(started.ok()) << started;
  ASSERT_EQ(fake_.Users().size(), 1u);
  ASSERT_TRUE(shims_->KillShim("c1"));  // kill-on-close, as Windows closes a dead process's handles
  EXPECT_EQ(fake_.LiveProcesses(), 0);
  EXPECT_FALSE(fake_.JobExists("silo-hpc-c1"));
  MakeHost();
  EXPECT_TRUE(host_->MonitorGone("c1", *handle));
  auto state = host_->State("c1", *handle);
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(state->exited);
  EXPECT_EQ(state->exit_code, kUnknownExitCode);  // the dead shim recorded nothing
  EXPECT_TRUE(host_->KillUnmonitored("c1").ok());
  EXPECT_TRUE(host_->Remove("c1", *handle).ok());
  ExpectNothingLeft();
}

TEST_F(HostProcessHostTest, AJobSomeoneStillHoldsAfterTheShimDiedIsEndedByKillUnmonitored) {
  auto handle = host_->Create(Spec("server.exe"));
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  fake_.HoldJob("silo-hpc-c1");  // another holder keeps the job past the shim's death
  ASSERT_TRUE(shims_->KillShim("c1"));
  EXPECT_EQ(fake_.LiveProcesses(), 1);
  MakeHost();
  EXPECT_TRUE(host_->MonitorGone("c1", *handle));
  ASSERT_TRUE(host_->KillUnmonitored("c1").ok());
  EXPECT_EQ(fake_.LiveProcesses(), 0);
  EXPECT_TRUE(host_->Remove("c1", *handle).ok());
  fake_.ReleaseJob("silo-hpc-c1");
  ExpectNothingLeft();
}

TEST_F(HostProcessHostTest, TheExitRecordSpeaksForAContainerWhoseShimIsGone) {
  auto handle = host_->Create(Spec("tool.exe"));
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  auto state = host_->Wait("c1", *handle, kLong);
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_EQ(state->exit_code, 3);
  ASSERT_TRUE(shims_->KillShim("c1"));
  MakeHost();
  auto recorded = host_->State("c1", *handle);
  ASSERT_TRUE(recorded.ok());
  EXPECT_TRUE(recorded->exited);
  EXPECT_EQ(recorded->exit_code, 3);
  EXPECT_EQ(recorded->exited_at_ns, state->exited_at_ns);
  EXPECT_TRUE(host_->Remove("c1", *handle).ok());
  ExpectNothingLeft();
}

TEST_F(HostProcessHostTest, ARunningContainerNoRecordOwnsIsListedAndRemovedWithItsShim) {
  auto handle = host_->Create(Spec("server.exe"));
  ASSERT_TRUE(handle.ok()) << handle.status();
  ASSERT_TRUE(host_->Start("c1", *handle).ok());
  MakeHost();  // a silod that crashed before it recorded the container
  auto listed = host_->ListHostContainers();
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_THAT(*listed, testing::ElementsAre("c1"));
  auto recorded = host_->RecordedExit("c1");
  ASSERT_TRUE(recorded.ok());
  EXPECT_FALSE(recorded->has_value());
  ASSERT_TRUE(host_->RemoveOrphan("c1").ok());
  EXPECT_EQ(shims_->live_shims(), 0);
  auto after = host_->ListHostContainers();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->empty());
  ExpectNothingLeft();
}

}  // namespace
}  // namespace silo::runtime::windows::hostprocess
