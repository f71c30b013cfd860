#include "runtime/windows/shim/container_monitor.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/hresult_codes.h"

namespace silo::runtime::windows::shim {
namespace {

using fake::FakeCall;
using fake::FakeFault;
using fake::FakeHcs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kDocument[] = R"({"Owner":"silo","SchemaVersion":{"Major":2,"Minor":1}})";
constexpr char kDocumentTerminateOnClose[] =
    R"({"Owner":"silo","SchemaVersion":{"Major":2,"Minor":1},"ShouldTerminateOnLastHandleClosed":true})";
constexpr char kMain[] = R"({"CommandLine":"cmd /c app.exe","WorkingDirectory":"C:\\"})";

Deadline Soon() { return hcs::Clock::now() + std::chrono::seconds(10); }

struct timespec FixedClock() { return {1700000000, 5}; }

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The lines of a CRI log written with FixedClock that belong to `stream`.
std::vector<std::string> Lines(const std::string& log, const std::string& stream) {
  std::vector<std::string> out;
  std::istringstream in(log);
  const std::string prefix = "2023-11-14T22:13:20.000000005Z " + stream + " ";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) out.push_back(line.substr(prefix.size()));
  }
  return out;
}

class ContainerMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/silo-winshim-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    fake_.Drain();
    EXPECT_EQ(fake_.open_operations(), 0);
    EXPECT_EQ(fake_.open_process_handles(), 0);
    EXPECT_EQ(fake_.open_stdio_handles(), 0);
    EXPECT_EQ(fake_.outstanding_strings(), 0);
    EXPECT_EQ(fake_.bad_closes(), 0);
    std::system(("rm -rf " + dir_).c_str());
  }

  MonitorOptions Options(const std::string& document = kDocument) {
    MonitorOptions o;
    o.id = "c1";
    o.document_json = document;
    o.process_json = kMain;
    o.log_path = dir_ + "/c1.log";
    o.exit_path = dir_ + "/c1.exit";
    o.clock = FixedClock;
    return o;
  }

  std::unique_ptr<ContainerMonitor> Started(MonitorOptions options) {
    auto m = ContainerMonitor::Create(fake_.api(), fake_.stdio_io(), std::move(options), Soon());
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    if (!m.ok()) return nullptr;
    auto s = (*m)->Start(Soon());
    EXPECT_TRUE(s.ok()) << s.ToString();
    return std::move(*m);
  }

  // The pid of the newest process in c1 that runs `command`, waiting for it.
  uint32_t AwaitProcess(uint32_t from, const std::string& command) {
    for (int i = 0; i < 2000; ++i) {
      for (uint32_t pid = from; pid < from + 400; pid += 4) {
        if (fake_.ProcessParameters("c1", pid).find(command) != std::string::npos) return pid;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return 0;
  }

  FakeHcs fake_;
  std::string dir_;
};

TEST_F(ContainerMonitorTest, MainProcessOutputGoesToTheCriLogWithTheLinuxLineRules) {
  MonitorOptions o = Options();
  o.max_log_line = 8;
  auto m = Started(o);
  ASSERT_NE(m, nullptr);
  const uint32_t pid = m->Status().pid;
  ASSERT_NE(pid, 0u);
  EXPECT_EQ(m->Status().state, MonitorState::kRunning);
  // The monitor asked HCS for the pipes it reads, not for stdin.
  const auto params = nlohmann::json::parse(fake_.ProcessParameters("c1", pid));
  EXPECT_EQ(params["CreateStdOutPipe"], true);
  EXPECT_EQ(params["CreateStdErrPipe"], true);
  EXPECT_EQ(params["CreateStdInPipe"], false);
  EXPECT_EQ(params["CommandLine"], "cmd /c app.exe");

  ASSERT_TRUE(fake_.WriteProcessOutput("c1", pid, false, "hello\nwor"));
  ASSERT_TRUE(fake_.WriteProcessOutput("c1", pid, false, "ld\r\n0123456789abc\n"));
  ASSERT_TRUE(fake_.WriteProcessOutput("c1", pid, true, "oops\n"));
  ASSERT_TRUE(fake_.WriteProcessOutput("c1", pid, false, "no newline"));
  fake_.ExitProcess("c1", pid, 3);

  auto exit = m->Wait(Soon());
  ASSERT_TRUE(exit.ok()) << exit.status().ToString();
  EXPECT_EQ(exit->exit_code, 3);
  EXPECT_EQ(exit->exited_at_unix_nanos, 1700000000000000005);
  EXPECT_EQ(m->Status().state, MonitorState::kStopped);

  const std::string log = ReadAll(dir_ + "/c1.log");
  EXPECT_THAT(Lines(log, "stdout"),
              ElementsAre("F hello", "F world", "P 01234567", "F 89abc", "P no newli", "P ne"));
  EXPECT_THAT(Lines(log, "stderr"), ElementsAre("F oops"));

  // The durable record agrees, and holds everything silod needs after a restart.
  auto record = ReadExitRecord(dir_ + "/c1.exit");
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  EXPECT_EQ(record->exit_code, 3);
  EXPECT_EQ(record->exited_at_unix_nanos, 1700000000000000005);
}

TEST_F(ContainerMonitorTest, ExitIsRecordedOnlyAfterAllOutputIsInTheLog) {
  auto m = Started(Options());
  ASSERT_NE(m, nullptr);
  const uint32_t pid = m->Status().pid;
  std::string big;
  for (int i = 0; i < 2000; ++i) big += "line " + std::to_string(i) + "\n";
  ASSERT_TRUE(fake_.WriteProcessOutput("c1", pid, false, big));
  fake_.ExitProcess("c1", pid, 0);
  ASSERT_TRUE(m->Wait(Soon()).ok());
  EXPECT_EQ(Lines(ReadAll(dir_ + "/c1.log"), "stdout").size(), 2000u);
}

TEST_F(ContainerMonitorTest, TheMonitorHoldsTheSystemSoItsDeathAloneStopsATerminateOnCloseContainer) {
  auto m = Started(Options(kDocumentTerminateOnClose));
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(fake_.open_system_handles(), 1);
  EXPECT_EQ(fake_.SystemState("c1"), "Running");
  // The monitor's handle is the last one: when it goes, HCS ends the container.
  m.reset();
  fake_.Drain();
  EXPECT_FALSE(fake_.SystemExists("c1"));
  EXPECT_EQ(fake_.open_system_handles(), 0);
}

TEST_F(ContainerMonitorTest, ASystemTheMonitorCreatesAlwaysEndsWithTheMonitor) {
  // The document silod passed lacks the flag: the monitor sets it, so a
  // monitor that dies never leaks a running compute system.
  auto m = Started(Options(kDocument));
  ASSERT_NE(m, nullptr);
  const auto config = nlohmann::json::parse(fake_.Configuration("c1"));
  EXPECT_EQ(config["ShouldTerminateOnLastHandleClosed"], true);
  EXPECT_EQ(config["Owner"], "silo");
  m.reset();
  fake_.Drain();
  EXPECT_FALSE(fake_.SystemExists("c1"));
}

TEST_F(ContainerMonitorTest, TheMonitorsProcessDyingEndsTheContainer) {
  // The monitor runs as simulated process 1; its death closes its handles.
  auto m = ContainerMonitor::Create(fake_.api_for(1), fake_.stdio_io_for(1), Options(kDocument), Soon());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_TRUE((*m)->Start(Soon()).ok());
  EXPECT_EQ(fake_.open_system_handles(1), 1);
  EXPECT_EQ(fake_.open_system_handles(0), 0);
  EXPECT_GT(fake_.ReapHolder(1), 0);
  fake_.Drain();
  EXPECT_FALSE(fake_.SystemExists("c1"));
  m->reset();  // the stand-in's code closing reaped handles is no double close
}

TEST_F(ContainerMonitorTest, AnotherProcessCannotUseTheMonitorsHandles) {
  auto m = ContainerMonitor::Create(fake_.api_for(1), fake_.stdio_io_for(1), Options(kDocument), Soon());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_TRUE((*m)->Start(Soon()).ok());
  // A second handle, opened by silod (process 0), keeps the system alive
  // while the monitor's process lives; it is silod's alone.
  auto mine = hcs::ComputeSystem::Open(fake_.api(), "c1");
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(fake_.open_system_handles(0), 1);
  mine->reset();
  EXPECT_EQ(fake_.SystemState("c1"), "Running");
  m->reset();
  fake_.Drain();
  EXPECT_FALSE(fake_.SystemExists("c1"));
}

TEST_F(ContainerMonitorTest, ADocumentThatIsNotAnObjectIsRefused) {
  auto m = ContainerMonitor::Create(fake_.api(), fake_.stdio_io(), Options("[1]"), Soon());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().hr(), codes::kEInvalidArg);
  EXPECT_EQ(fake_.calls(FakeCall::kCreateComputeSystem), 0);
}

TEST_F(ContainerMonitorTest, OpensASystemSilodCreated) {
  fake_.AddSystem("c1", "silo", /*running=*/true);
  MonitorOptions o = Options();
  o.document_json.clear();
  auto m = Started(o);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(fake_.calls(FakeCall::kOpenComputeSystem), 1);
  EXPECT_EQ(fake_.calls(FakeCall::kCreateComputeSystem), 0);
  EXPECT_EQ(fake_.calls(FakeCall::kStart), 0);
  EXPECT_EQ(m->Status().state, MonitorState::kRunning);
}

TEST_F(ContainerMonitorTest, BadInputFailsBeforeAnySystemExists) {
  MonitorOptions o = Options();
  o.process_json = "not json";
  auto m = ContainerMonitor::Create(fake_.api(), fake_.stdio_io(), o, Soon());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().hr(), codes::kEInvalidArg);
  o = Options();
  o.exit_path.clear();
  EXPECT_FALSE(ContainerMonitor::Create(fake_.api(), fake_.stdio_io(), o, Soon()).ok());
  o = Options();
  o.log_path = dir_ + "/missing/dir/c1.log";
  EXPECT_FALSE(ContainerMonitor::Create(fake_.api(), fake_.stdio_io(), o, Soon()).ok());
  EXPECT_FALSE(fake_.SystemExists("c1"));
  EXPECT_EQ(fake_.open_system_handles(), 0);
}

TEST_F(ContainerMonitorTest, AFailedProcessCreateTerminatesTheSystem) {
  fake_.Inject({FakeCall::kCreateProcess, FakeFault::kFailResult, 0x80070002, "The system cannot find the file"});
  auto m = ContainerMonitor::Create(fake_.api(), fake_.stdio_io(), Options(), Soon());
  ASSERT_TRUE(m.ok());
  win32::HrStatus s = (*m)->Start(Soon());
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("cannot find the file"));
  EXPECT_EQ((*m)->Status().state, MonitorState::kCreated);
  EXPECT_FALSE(ReadExitRecord(dir_ + "/c1.exit").ok());
  // No container runs on without its main process.
  EXPECT_EQ(fake_.calls(FakeCall::kTerminate), 1);
  EXPECT_EQ(fake_.SystemState("c1"), "Stopped");
}

TEST_F(ContainerMonitorTest, AFailedSystemStartTerminatesTheSystem) {
  fake_.Inject({FakeCall::kStart, FakeFault::kFailResult, codes::kHcsEUnexpectedExit, "guest died"});
  auto m = ContainerMonitor::Create(fake_.api(), fake_.stdio_io(), Options(), Soon());
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE((*m)->Start(Soon()).ok());
  EXPECT_EQ(fake_.calls(FakeCall::kTerminate), 1);
  EXPECT_EQ(fake_.SystemState("c1"), "Stopped");
  m->reset();
  fake_.Drain();
  EXPECT_FALSE(fake_.SystemExists("c1"));
}

TEST_F(ContainerMonitorTest, KillTerminatesWithSigkillAndAsksToShutDownOtherwise) {
  auto m = Started(Options());
  ASSERT_NE(m, nullptr);
  const uint32_t pid = m->Status().pid;
  EXPECT_TRUE(m->Kill(15, Soon()).ok());
  for (int i = 0; i < 2000 && fake_.Signals("c1", pid).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_THAT(fake_.Signals("c1", pid), ElementsAre(HasSubstr("CtrlShutdown")));
  EXPECT_TRUE(m->Kill(9, Soon()).ok());
  auto exit = m->Wait(Soon());
  ASSERT_TRUE(exit.ok()) << exit.status().ToString();
  EXPECT_FALSE(fake_.ProcessRunning("c1", pid));
  // Killing what has exited is not an error.
  EXPECT_TRUE(m->Kill(9, Soon()).ok());
}

TEST_F(ContainerMonitorTest, ABlockedShutdownSignalDoesNotHoldBackTheKill) {
  // Servercore's HcsSignalProcess returns only when the process is gone, and
  // a terminate through the same system handle would queue behind it.
  fake_.Inject({FakeCall::kSignalProcess, FakeFault::kBlock});
  auto m = Started(Options());
  ASSERT_NE(m, nullptr);
  const uint32_t pid = m->Status().pid;
  EXPECT_TRUE(m->Kill(15, Soon()).ok());
  for (int i = 0; i < 2000 && fake_.blocked_operations() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(fake_.blocked_operations(), 1);
  EXPECT_TRUE(m->Kill(9, Soon()).ok());
  ASSERT_TRUE(m->Wait(Soon()).ok());
  EXPECT_FALSE(fake_.ProcessRunning("c1", pid));
  EXPECT_EQ(fake_.blocked_operations(), 0);
}

TEST_F(ContainerMonitorTest, KillMapsSignalsAsHcsshimValidateWcow) {
  auto m = Started(Options());
  ASSERT_NE(m, nullptr);
  const uint32_t pid = m->Status().pid;
  EXPECT_TRUE(m->Kill(0, Soon()).ok());
  EXPECT_TRUE(m->Kill(1, Soon()).ok());
  EXPECT_TRUE(m->Kill(2, Soon()).ok());
  EXPECT_TRUE(m->Kill(5, Soon()).ok());
  EXPECT_TRUE(m->Kill(6, Soon()).ok());
  for (int i = 0; i < 2000 && fake_.Signals("c1", pid).size() < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::vector<std::string> sent = fake_.Signals("c1", pid);
  std::sort(sent.begin(), sent.end());
  EXPECT_THAT(sent, ElementsAre(R"({"Signal":"CtrlBreak"})", R"({"Signal":"CtrlC"})", R"({"Signal":"CtrlClose"})",
                                R"({"Signal":"CtrlLogOff"})", R"({"Signal":"CtrlShutdown"})"));
  // Anything else is refused with a message, and nothing is sent.
  win32::HrStatus refused = m->Kill(10, Soon());
  EXPECT_EQ(refused.hr(), codes::kEInvalidArg);
  EXPECT_THAT(refused.message(), HasSubstr("signal 10 is not supported"));
  EXPECT_EQ(fake_.Signals("c1", pid).size(), 5u);
  EXPECT_TRUE(fake_.ProcessRunning("c1", pid));
}

TEST_F(ContainerMonitorTest, KillBeforeStartEndsTheContainerWithStatusOne) {
  auto m = ContainerMonitor::Create(fake_.api(), fake_.stdio_io(), Options(), Soon());
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE((*m)->Kill(15, Soon()).ok());
  auto exit = (*m)->Wait(Soon());
  ASSERT_TRUE(exit.ok()) << exit.status().ToString();
  EXPECT_EQ(exit->exit_code, 1);
  EXPECT_EQ((*m)->Status().state, MonitorState::kStopped);
  EXPECT_EQ(fake_.SystemState("c1"), "Stopped");
  auto record = ReadExitRecord(dir_ + "/c1.exit");
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->exit_code, 1);
  EXPECT_FALSE((*m)->Start(Soon()).ok());
}

TEST_F(ContainerMonitorTest, ALostServiceEndsTheWaitWithAnUnknownExit) {
  auto m = Started(Options());
  ASSERT_NE(m, nullptr);
  const uint32_t pid = m->Status().pid;
  fake_.WriteProcessOutput("c1", pid, false, "still here\n");
  // The process still runs and its pipes stay open: the monitor must not
  // wait for their end for ever.
  fake_.DisconnectService();
  auto exit = m->Wait(Soon());
  ASSERT_TRUE(exit.ok()) << exit.status().ToString();
  EXPECT_EQ(exit->exit_code, -1);
  EXPECT_THAT(Lines(ReadAll(dir_ + "/c1.log"), "stdout"), ElementsAre("F still here"));
  fake_.ExitProcess("c1", pid, 0);
}

TEST_F(ContainerMonitorTest, AnExecWhoseWaitFailsIsTerminatedAndReported) {
  auto m = Started(Options());
  ASSERT_NE(m, nullptr);
  const uint32_t main_pid = m->Status().pid;
  std::thread service([&] {
    ASSERT_NE(AwaitProcess(main_pid + 4, "whoami"), 0u);
    fake_.DisconnectService();
  });
  auto r = m->Exec(R"({"CommandLine":"whoami"})", std::chrono::milliseconds(0), Soon());
  service.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(codes::Normalize(r.status().hr()), codes::kHcsEServiceDisconnect) << r.status().ToString();
  EXPECT_FALSE(fake_.ProcessRunning("c1", main_pid + 4));
  EXPECT_EQ(fake_.calls(FakeCall::kTerminateProcess), 1);
}

TEST_F(ContainerMonitorTest, WaitTimesOutWhileTheContainerRuns) {
  auto m = Started(Options());
  ASSERT_NE(m, nullptr);
  auto exit = m->Wait(hcs::Clock::now() + std::chrono::milliseconds(20));
  ASSERT_FALSE(exit.ok());
  EXPECT_TRUE(codes::IsTimeout(exit.status().hr()));
}

TEST_F(ContainerMonitorTest, ExecCapturesOutputAndExitCode) {
  auto m = Started(Options());
  ASSERT_NE(m, nullptr);
  const uint32_t main_pid = m->Status().pid;
  std::thread process([&] {
    const uint32_t pid = AwaitProcess(main_pid + 4, "whoami");
    ASSERT_NE(pid, 0u);
    fake_.WriteProcessOutput("c1", pid, false, "user\n");
    fake_.WriteProcessOutput("c1", pid, true, "warn");
    fake_.ExitProcess("c1", pid, 7);
  });
  auto r = m->Exec(R"({"CommandLine":"whoami"})", std::chrono::milliseconds(0), Soon());
  process.join();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 7);
  EXPECT_FALSE(r->timed_out);
  EXPECT_EQ(r->stdout_data, "user\n");
  EXPECT_EQ(r->stderr_data, "warn");
  // Exec output never reaches the container log.
  EXPECT_EQ(ReadAll(dir_ + "/c1.log"), "");
}

TEST_F(ContainerMonitorTest, AVeryShortExecCompletesThoughItExitedBeforeItsCallback) {
  auto m = Started(Options());
  ASSERT_NE(m, nullptr);
  // It writes and ends inside HcsCreateProcess: HCS delivers no ProcessExited.
  fake_.ExitNextProcess(fake::FakeExitMoment::kBeforeCallback, 0, "web-0\r\n");
  auto r = m->Exec(R"({"CommandLine":"hostname"})", std::chrono::seconds(2), Soon());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->timed_out) << "its exit was missed";
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->stdout_data, "web-0\r\n");
  EXPECT_EQ(fake_.calls(FakeCall::kTerminateProcess), 0);
}

TEST_F(ContainerMonitorTest, ExecPastItsTimeoutIsTerminated) {
  auto m = Started(Options());
  ASSERT_NE(m, nullptr);
  auto r = m->Exec(R"({"CommandLine":"ping -t localhost"})", std::chrono::milliseconds(30), Soon());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(fake_.calls(FakeCall::kTerminateProcess), 1);
  // The container's own process is untouched.
  EXPECT_EQ(m->Status().state, MonitorState::kRunning);
}

TEST_F(ContainerMonitorTest, ReopenLogStartsAFreshFileAfterKubeletRotatedIt) {
  auto m = Started(Options());
  ASSERT_NE(m, nullptr);
  const uint32_t pid = m->Status().pid;
  const std::string log = dir_ + "/c1.log";
  fake_.WriteProcessOutput("c1", pid, false, "before\n");
  for (int i = 0; i < 2000 && ReadAll(log).empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(std::rename(log.c_str(), (log + ".1").c_str()), 0);
  ASSERT_TRUE(m->ReopenLog().ok());
  fake_.WriteProcessOutput("c1", pid, false, "after\n");
  fake_.ExitProcess("c1", pid, 0);
  ASSERT_TRUE(m->Wait(Soon()).ok());
  EXPECT_THAT(Lines(ReadAll(log + ".1"), "stdout"), ElementsAre("F before"));
  EXPECT_THAT(Lines(ReadAll(log), "stdout"), ElementsAre("F after"));
}

TEST_F(ContainerMonitorTest, StdinIsPipedOnlyWhenAskedAndClosedOnRequest) {
  MonitorOptions o = Options();
  o.open_stdin = true;
  auto m = Started(o);
  ASSERT_NE(m, nullptr);
  const uint32_t pid = m->Status().pid;
  ASSERT_NE(m->stdin_handle(), nullptr);
  EXPECT_EQ(fake_.stdio_io().write(m->stdin_handle(), "input", 5), 5);
  EXPECT_EQ(fake_.ProcessStdin("c1", pid), "input");
  EXPECT_TRUE(m->CloseStdin(Soon()).ok());
  EXPECT_EQ(m->stdin_handle(), nullptr);
}

TEST_F(ContainerMonitorTest, StopSystemEndsTheContainerAndRecordsTheExit) {
  auto m = Started(Options());
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->StopSystem(Soon(), Soon()).ok());
  auto exit = m->Wait(Soon());
  ASSERT_TRUE(exit.ok()) << exit.status().ToString();
  EXPECT_EQ(fake_.SystemState("c1"), "Stopped");
}

}  // namespace
}  // namespace silo::runtime::windows::shim
