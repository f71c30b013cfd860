#include "runtime/windows/hostprocess/hostprocess_monitor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "runtime/windows/hostprocess/hostprocess_monitor_fixture.h"
#include "runtime/windows/shim/exec_output_limits.h"

namespace silo::runtime::windows::hostprocess {
namespace {

using fake::FakeProgram;
using testing::HasSubstr;
using testing::Not;

// A test that hangs here is the bug: the exec waited for end of stream,
// which the child holding its pipes never gives.
TEST_F(HostProcessMonitorTest, ExecReturnsThoughAChildItLeftHoldsItsOutput) {
  FakeProgram spawner{"started\n", "", 0u};
  spawner.child_holds_output = true;
  fake_.SetProgram("spawner.exe", spawner);
  auto monitor = Started();
  ASSERT_NE(monitor, nullptr);
  auto result = monitor->Exec({"spawner.exe"}, std::chrono::milliseconds(0));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_FALSE(result->timed_out);
  EXPECT_EQ(result->stdout_data, "started\n");
  EXPECT_EQ(fake_.LiveProcesses(), 2);  // the main process and the child, which the exec leaves alone
  ShutDownAndExpectNothingLeft(monitor);
}

TEST_F(HostProcessMonitorTest, ExecOutputIsCappedAt16MiBPerStream) {
  const std::string big(shim::kMaxExecOutputBytes + 4096, 'x');
  fake_.SetProgram("chatty.exe", FakeProgram{big, big + "y", 0u});
  auto monitor = Started();
  ASSERT_NE(monitor, nullptr);
  auto result = monitor->Exec({"chatty.exe"}, std::chrono::milliseconds(0));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stdout_data.size(), shim::kMaxExecOutputBytes);
  EXPECT_EQ(result->stderr_data.size(), shim::kMaxExecOutputBytes);
  EXPECT_EQ(result->exit_code, 0);
  ShutDownAndExpectNothingLeft(monitor);
}

// An exec caught between its first and its last use of the logon token
// while Shutdown runs to the end: the token must still be open when it
// creates its process.
TEST_F(HostProcessMonitorTest, ShutdownDuringAnExecLeavesItsTokenOpenUntilItReturns) {
  fake_.SetProgram("tool.exe", FakeProgram{"out\n", "", 0u});
  auto monitor = Started();
  ASSERT_NE(monitor, nullptr);
  fake_.PauseNext("CreatePipe");  // after CreateEnvironmentBlock(token), before CreateProcessAsUserW(token)
  absl::StatusOr<HostProcessExecResult> result;
  std::thread exec([&] { result = monitor->Exec({"tool.exe"}, std::chrono::milliseconds(0)); });
  fake_.AwaitPaused();
  ASSERT_TRUE(monitor->Shutdown().ok());
  fake_.ResumePaused();
  exec.join();
  // Not a failed CreateProcessAsUserW over a closed token: the exec is told
  // the container is going away, and its process did not outlive it.
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
  EXPECT_THAT(result.status().message(), Not(HasSubstr("CreateProcessAsUserW")));
  EXPECT_EQ(fake_.launches().size(), 2u);  // the main process and the exec
  // Created after the job was ended, the exec never ran: it was ended unresumed.
  const std::vector<std::string> calls = fake_.calls();
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "ResumeThread"), 1);  // the main process's only
  EXPECT_EQ(fake_.LiveProcesses(), 0);
  EXPECT_EQ(fake_.bad_closes(), 0);
  // A new exec is refused at once.
  EXPECT_EQ(monitor->Exec({"tool.exe"}, std::chrono::milliseconds(0)).status().code(),
            absl::StatusCode::kUnavailable);
  monitor.reset();
  ExpectNothingLeft();
}

// As hcsshim's job containers: when the main process exits, what it left in
// the job gets CTRL_SHUTDOWN and a grace period before the job is ended.
TEST_F(HostProcessMonitorTest, WhatTheMainProcessLeftGetsCtrlShutdownBeforeTheJobEnds) {
  FakeProgram main{"up\n", "", 0u, /*exit_on_ctrl_event=*/4u};
  main.child_holds_output = true;  // a child with the same handler
  fake_.SetProgram("C:\\hpc\\server.exe", main);
  auto monitor = Started();
  ASSERT_NE(monitor, nullptr);
  auto exit = monitor->Wait(std::chrono::milliseconds(-1));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_code, 0);  // the main process's, not the child's
  const auto events = fake_.CtrlEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(events[0].first, monitor->Status().pid);
  EXPECT_EQ(events[0].second, kCtrlShutdownEvent);
  EXPECT_EQ(fake_.LiveProcesses(), 0);
  ShutDownAndExpectNothingLeft(monitor);
}

// The main process has exited and the rest is being shut down: an exec
// would only be ended by the job's termination, so it is refused.
TEST_F(HostProcessMonitorTest, ExecIsRefusedOnceTheMainProcessHasExited) {
  fake_.SetProgram("C:\\hpc\\server.exe", FakeProgram{"up\n", "", 0u});  // exits at once
  fake_.SetProgram("tool.exe", FakeProgram{"out\n", "", 0u});
  fake_.PauseNext("QueryInformationJobObject(JobObjectBasicProcessIdList)");  // ShutDownTheRest's first call
  auto monitor = Started();
  ASSERT_NE(monitor, nullptr);
  fake_.AwaitPaused();
  absl::StatusOr<HostProcessExecResult> result = monitor->Exec({"tool.exe"}, std::chrono::milliseconds(0));
  fake_.ResumePaused();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition) << result.status();
  EXPECT_THAT(result.status().message(), HasSubstr("not running"));
  EXPECT_EQ(fake_.launches().size(), 1u);  // the main process only
  ShutDownAndExpectNothingLeft(monitor);
}

// A pid listed in the job may be another process's by the time it is
// opened: only a process still in the job gets CTRL_SHUTDOWN.
TEST_F(HostProcessMonitorTest, CtrlShutdownSkipsAPidReusedOutsideTheJob) {
  FakeProgram main{"up\n", "", 0u, /*exit_on_ctrl_event=*/4u};
  main.child_holds_output = true;
  fake_.SetProgram("C:\\hpc\\server.exe", main);
  fake_.SetProgram("other.exe", FakeProgram{"", "", std::nullopt, /*exit_on_ctrl_event=*/4u});
  fake_.PauseNext("OpenProcess");  // the pids are listed, none opened yet
  auto monitor = Started();
  ASSERT_NE(monitor, nullptr);
  fake_.AwaitPaused();
  const uint32_t reused = fake_.ReuseAPidOf("silo-hpc-c1", "other.exe");
  ASSERT_NE(reused, 0u);
  fake_.ResumePaused();
  auto exit = monitor->Wait(std::chrono::milliseconds(-1));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_TRUE(fake_.CtrlEvents().empty());
  EXPECT_TRUE(fake_.EndProcess(reused));  // it was left running
  ShutDownAndExpectNothingLeft(monitor);
}

TEST_F(HostProcessMonitorTest, WhatIgnoresCtrlShutdownIsEndedWithTheJobAfterTheGrace) {
  FakeProgram main{"up\n", "", 0u};
  main.child_holds_output = true;  // a child that ignores control events
  fake_.SetProgram("C:\\hpc\\server.exe", main);
  auto monitor = Started();
  ASSERT_NE(monitor, nullptr);
  auto exit = monitor->Wait(std::chrono::milliseconds(-1));
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->exit_code, 0);
  EXPECT_EQ(fake_.CtrlEvents().size(), 1u);
  EXPECT_EQ(fake_.LiveProcesses(), 0);
  ShutDownAndExpectNothingLeft(monitor);
}

}  // namespace
}  // namespace silo::runtime::windows::hostprocess
