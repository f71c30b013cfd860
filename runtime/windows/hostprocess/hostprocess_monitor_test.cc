#include "runtime/windows/hostprocess/hostprocess_monitor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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
  EXPECT_EQ(fake_.LiveProcesses(), 0);
  EXPECT_EQ(fake_.bad_closes(), 0);
  // A new exec is refused at once.
  EXPECT_EQ(monitor->Exec({"tool.exe"}, std::chrono::milliseconds(0)).status().code(),
            absl::StatusCode::kUnavailable);
  monitor.reset();
  ExpectNothingLeft();
}

}  // namespace
}  // namespace silo::runtime::windows::hostprocess
