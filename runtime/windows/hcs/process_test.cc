#include "runtime/windows/hcs/process.h"

#include <chrono>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/hcs/compute_system.h"
#include "runtime/windows/hresult_codes.h"

namespace silo::runtime::windows::hcs {
namespace {

using fake::FakeCall;
using fake::FakeFault;
using fake::FakeHcs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kParams[] =
    R"({"CommandLine":"cmd /c exit 3","CreateStdInPipe":true,"CreateStdOutPipe":true,"CreateStdErrPipe":true})";

Deadline Soon() { return Clock::now() + std::chrono::seconds(10); }

class ProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sys = ComputeSystem::Create(fake_.api(), "c1", R"({"Owner":"silo"})", Soon());
    ASSERT_TRUE(sys.ok()) << sys.status().ToString();
    sys_ = std::move(*sys);
    ASSERT_TRUE(sys_->Start(Soon()).ok());
  }
  void TearDown() override {
    sys_.reset();
    fake_.Drain();
    EXPECT_EQ(fake_.open_operations(), 0);
    EXPECT_EQ(fake_.open_system_handles(), 0);
    EXPECT_EQ(fake_.open_process_handles(), 0);
    EXPECT_EQ(fake_.open_stdio_handles(), 0);
    EXPECT_EQ(fake_.bad_closes(), 0) << "a handle was closed twice";
    EXPECT_EQ(fake_.outstanding_strings(), 0);
  }

  FakeHcs fake_;
  std::unique_ptr<ComputeSystem> sys_;
};

TEST_F(ProcessTest, CreateWaitExitCode) {
  auto p = sys_->CreateProcess(kParams, Soon());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const uint32_t pid = (*p)->pid();
  EXPECT_NE(pid, 0u);
  EXPECT_EQ(fake_.open_stdio_handles(), 3);
  fake_.ExitProcess("c1", pid, 3);
  win32::Result<ProcessExit> exit = (*p)->WaitForExit(Soon());
  ASSERT_TRUE(exit.ok()) << exit.status().ToString();
  EXPECT_EQ(exit->exit_code, 3);
  (*p)->Close();
  EXPECT_EQ(fake_.open_stdio_handles(), 0) << "untaken stdio is closed with the process";
}

TEST_F(ProcessTest, AProcessThatExitedBeforeItsCallbackWasSetIsSeenExited) {
  // The exit happens inside HcsCreateProcess: no ProcessExited is ever
  // delivered, so only the status query after the registration can see it.
  fake_.ExitNextProcess(fake::FakeExitMoment::kBeforeCallback, 7);
  auto p = sys_->CreateProcess(kParams, Soon());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(fake_.calls(FakeCall::kGetProcessProperties), 1);
  int exits = 0;
  (*p)->AddExitListener([&] { ++exits; });
  win32::Result<ProcessExit> exit = (*p)->WaitForExit(Clock::now() + std::chrono::seconds(2));
  ASSERT_TRUE(exit.ok()) << exit.status().ToString();
  EXPECT_EQ(exit->exit_code, 7);
  EXPECT_EQ(exits, 1);
}

TEST_F(ProcessTest, AnExitSeenByBothTheCallbackAndTheQueryIsDeliveredOnce) {
  fake_.ExitNextProcess(fake::FakeExitMoment::kAtCallback, 5);
  auto p = sys_->CreateProcess(kParams, Soon());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  int exits = 0;
  (*p)->AddExitListener([&] { ++exits; });
  fake_.Drain();  // HCS's own ProcessExited has been delivered too
  win32::Result<ProcessExit> exit = (*p)->WaitForExit(Soon());
  ASSERT_TRUE(exit.ok()) << exit.status().ToString();
  EXPECT_EQ(exit->exit_code, 5);
  EXPECT_EQ(exits, 1);
}

TEST_F(ProcessTest, ARunningProcessIsNotTakenForExitedByTheStatusQuery) {
  auto p = sys_->CreateProcess(kParams, Soon());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(fake_.calls(FakeCall::kGetProcessProperties), 1);
  EXPECT_FALSE((*p)->WaitForExit(Clock::now() + std::chrono::milliseconds(50)).ok());
  fake_.ExitProcess("c1", (*p)->pid(), 2);
  win32::Result<ProcessExit> exit = (*p)->WaitForExit(Soon());
  ASSERT_TRUE(exit.ok()) << exit.status().ToString();
  EXPECT_EQ(exit->exit_code, 2);
}

TEST_F(ProcessTest, TakeStdioTransfersOwnership) {
  auto p = sys_->CreateProcess(R"({"CommandLine":"x","CreateStdOutPipe":true})", Soon());
  ASSERT_TRUE(p.ok());
  StdioHandles stdio = (*p)->TakeStdio();
  EXPECT_EQ(stdio.std_input, nullptr);
  ASSERT_NE(stdio.std_output, nullptr);
  (*p)->Close();
  EXPECT_EQ(fake_.open_stdio_handles(), 1);
  fake_.api().close_handle(stdio.std_output);
}

TEST_F(ProcessTest, CreateInStoppedSystemFails) {
  ASSERT_TRUE(sys_->Terminate(Soon()).ok());
  auto p = sys_->CreateProcess(kParams, Soon());
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(codes::IsInvalidState(p.status().hr()));
  EXPECT_THAT(p.status().message(), HasSubstr("HcsCreateProcess c1"));
}

TEST_F(ProcessTest, SpuriousWaitFailureRecoversThroughGetProcessInfo) {
  fake_.Inject({FakeCall::kCreateProcess, FakeFault::kSpuriousWaitFailure, codes::kEInvalidArg});
  auto p = sys_->CreateProcess(R"({"CommandLine":"x"})", Soon());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(fake_.calls(FakeCall::kGetProcessInfo), 1);
  EXPECT_TRUE(fake_.ProcessRunning("c1", (*p)->pid()));
}

TEST_F(ProcessTest, RealCreateFailureIsNotMaskedByGetProcessInfo) {
  fake_.Inject({FakeCall::kCreateProcess, FakeFault::kFailResult, codes::kEInvalidArg, "bad params", {}});
  auto p = sys_->CreateProcess(R"({"CommandLine":"x"})", Soon());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().hr(), codes::kEInvalidArg);
}

TEST_F(ProcessTest, SignalDeliveredThenNotAfterExit) {
  auto p = sys_->CreateProcess(R"({"CommandLine":"x"})", Soon());
  ASSERT_TRUE(p.ok());
  win32::Result<bool> delivered = (*p)->Signal(R"({"Signal":"CtrlShutdown"})", Soon());
  ASSERT_TRUE(delivered.ok());
  EXPECT_TRUE(*delivered);
  EXPECT_THAT(fake_.Signals("c1", (*p)->pid()), ElementsAre(R"({"Signal":"CtrlShutdown"})"));
  fake_.ExitProcess("c1", (*p)->pid(), 0);
  delivered = (*p)->Signal(R"({"Signal":"CtrlShutdown"})", Soon());
  ASSERT_TRUE(delivered.ok());
  EXPECT_FALSE(*delivered);
}

TEST_F(ProcessTest, TerminateThenTerminateAgainIsOk) {
  auto p = sys_->CreateProcess(R"({"CommandLine":"x"})", Soon());
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE((*p)->Terminate(Soon()).ok());
  win32::Result<ProcessExit> exit = (*p)->WaitForExit(Soon());
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->exit_code, 1);
  EXPECT_TRUE((*p)->Terminate(Soon()).ok()) << "already stopped counts as success";
}

TEST_F(ProcessTest, AccessDeniedWhileRunningIsAnError) {
  auto p = sys_->CreateProcess(R"({"CommandLine":"x"})", Soon());
  ASSERT_TRUE(p.ok());
  fake_.Inject({FakeCall::kTerminateProcess, FakeFault::kFailResult, codes::kEAccessDenied, "", {}});
  win32::HrStatus s = (*p)->Terminate(Soon());
  EXPECT_TRUE(codes::IsAccessDenied(s.hr()));
  EXPECT_THAT(s.message(), HasSubstr("HcsTerminateProcess c1 pid"));
}

TEST_F(ProcessTest, AccessDeniedAfterExitIsOk) {
  auto p = sys_->CreateProcess(R"({"CommandLine":"x"})", Soon());
  ASSERT_TRUE(p.ok());
  fake_.ExitProcess("c1", (*p)->pid(), 0);
  ASSERT_TRUE((*p)->WaitForExit(Soon()).ok());
  fake_.Inject({FakeCall::kTerminateProcess, FakeFault::kFailResult, codes::kEAccessDenied, "", {}});
  EXPECT_TRUE((*p)->Terminate(Soon()).ok());
}

TEST_F(ProcessTest, SystemStopExitsProcesses) {
  auto p = sys_->CreateProcess(R"({"CommandLine":"x"})", Soon());
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(sys_->Terminate(Soon()).ok());
  win32::Result<ProcessExit> exit = (*p)->WaitForExit(Soon());
  ASSERT_TRUE(exit.ok());
}

TEST_F(ProcessTest, OpenProcessAndModify) {
  auto p = sys_->CreateProcess(R"({"CommandLine":"x"})", Soon());
  ASSERT_TRUE(p.ok());
  auto again = sys_->OpenProcess((*p)->pid());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  const std::string resize = R"({"Operation":"ConsoleSize","ConsoleSize":{"Height":40,"Width":120}})";
  ASSERT_TRUE((*again)->Modify(resize, Soon()).ok());
  EXPECT_THAT(fake_.Signals("c1", (*p)->pid()), ElementsAre("modify:" + resize));
  auto missing = sys_->OpenProcess(9999);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(codes::IsNotExist(missing.status().hr()));
}

TEST_F(ProcessTest, ResizeConsoleAndCloseStdinSendModifyRequests) {
  auto p = sys_->CreateProcess(R"({"CommandLine":"x","EmulateConsole":true})", Soon());
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE((*p)->ResizeConsole(120, 40, Soon()).ok());
  ASSERT_TRUE((*p)->CloseStdin(Soon()).ok());
  EXPECT_THAT(fake_.Signals("c1", (*p)->pid()),
              ElementsAre(R"(modify:{"ConsoleSize":{"Height":40,"Width":120},"Operation":"ConsoleSize"})",
                          R"(modify:{"CloseHandle":{"Handle":"StdIn"},"Operation":"CloseHandle"})"));
  fake_.ExitProcess("c1", (*p)->pid(), 0);
  EXPECT_TRUE(codes::IsInvalidState((*p)->CloseStdin(Soon()).hr()));
}

TEST_F(ProcessTest, KillThroughFreshHandle) {
  auto p = sys_->CreateProcess(R"({"CommandLine":"x"})", Soon());
  ASSERT_TRUE(p.ok());
  const uint32_t pid = (*p)->pid();
  ASSERT_TRUE(TerminateProcessThroughFreshHandle(fake_.api(), "c1", pid, Soon()).ok());
  EXPECT_FALSE(fake_.ProcessRunning("c1", pid));
  EXPECT_EQ(fake_.open_system_handles(), 1) << "fresh handles closed again";
  // Already gone, and system gone: both OK.
  EXPECT_TRUE(TerminateProcessThroughFreshHandle(fake_.api(), "c1", pid, Soon()).ok());
  EXPECT_TRUE(TerminateProcessThroughFreshHandle(fake_.api(), "no-such-system", pid, Soon()).ok());
}

// While servercore blocks a signal, a terminate of the same pid through the
// same system handle waits behind it (HCS serialises them per system
// handle); through fresh handles it goes through, and ends the signal too.
TEST_F(ProcessTest, AKillQueuesBehindABlockedSignalUnlessSentThroughFreshHandles) {
  auto p = sys_->CreateProcess(R"({"CommandLine":"x"})", Soon());
  ASSERT_TRUE(p.ok());
  const uint32_t pid = (*p)->pid();
  fake_.Inject({FakeCall::kSignalProcess, FakeFault::kBlock});
  std::thread signaller([&] { (void)(*p)->Signal(R"({"Signal":"CtrlShutdown"})", Soon()); });
  for (int i = 0; i < 2500 && fake_.blocked_operations() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_EQ(fake_.blocked_operations(), 1);
  auto again = sys_->OpenProcess(pid);  // another process handle, same system handle
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(codes::IsTimeout((*again)->Terminate(Soon()).hr())) << "queued behind the blocked signal";
  EXPECT_TRUE(fake_.ProcessRunning("c1", pid));
  ASSERT_TRUE(TerminateProcessThroughFreshHandle(fake_.api(), "c1", pid, Soon()).ok());
  EXPECT_FALSE(fake_.ProcessRunning("c1", pid));
  signaller.join();
  EXPECT_EQ(fake_.blocked_operations(), 0);
}

TEST(ParseProcessExitedTest, ReadsExitCodeUnlessWaitFailed) {
  EXPECT_EQ(ParseProcessExited(R"({"ProcessId":4,"Exited":true,"ExitCode":7,"LastWaitResult":0})").exit_code, 7);
  EXPECT_EQ(ParseProcessExited(R"({"ProcessId":4,"ExitCode":7,"LastWaitResult":5})").exit_code, -1);
  EXPECT_EQ(ParseProcessExited(R"({"ExitCode":3221225786})").exit_code, 3221225786);
  EXPECT_EQ(ParseProcessExited("garbage").exit_code, -1);
  EXPECT_EQ(ParseProcessExited(R"({"ProcessId":4,"Exited":true})").exit_code, 0);  // 0 is omitted
  EXPECT_EQ(ParseProcessExited(R"({"Exited":true,"ExitCode":"7"})").exit_code, -1);
  EXPECT_EQ(ParseProcessExited(R"({"Exited":true,"ExitCode":-1})").exit_code, -1);
  EXPECT_EQ(ParseProcessExited(R"({"Exited":true,"ExitCode":4294967296})").exit_code, -1);
}

}  // namespace
}  // namespace silo::runtime::windows::hcs
