#include "runtime/windows/hostprocess/hostprocess_sessions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "runtime/windows/hostprocess/hostprocess_monitor_fixture.h"
#include "runtime/windows/shim/memory_duplex.h"

namespace silo::runtime::windows::hostprocess {
namespace {

namespace wire = runtime::shim;
using fake::FakeProgram;
using shim::Duplex;
using shim::SessionFrame;
using shim::SessionFrameType;
using testing::HasSubstr;
using testing::Not;

// silod's end of a session: what it read, and how the session ended.
struct Client {
  std::unique_ptr<Duplex> conn;
  std::string out, err, failed;
  std::optional<int64_t> exit_code;

  // Reads frames until kExit/kFailed or end of stream; `stop_after` ends
  // the read once `out` holds it.
  void Read(const std::string& stop_after = "") {
    while (std::optional<SessionFrame> f = shim::ReadSessionFrame(*conn)) {
      if (f->type == SessionFrameType::kStdout) out += f->payload;
      if (f->type == SessionFrameType::kStderr) err += f->payload;
      if (f->type == SessionFrameType::kFailed) failed = f->payload;
      int64_t code = 0;
      if (f->type == SessionFrameType::kExit && shim::ParseExit(f->payload, &code)) exit_code = code;
      if (f->type == SessionFrameType::kExit || f->type == SessionFrameType::kFailed) return;
      if (!stop_after.empty() && out.find(stop_after) != std::string::npos) return;
    }
  }
  void Send(SessionFrameType type, std::string_view payload = {}) {
    ASSERT_TRUE(conn->Write(shim::EncodeSessionFrame(type, payload)));
  }
};

class HostProcessSessionsTest : public HostProcessMonitorTest {
 protected:
  void TearDown() override {
    for (std::thread& t : sessions_) t.join();
    HostProcessMonitorTest::TearDown();
  }

  // Opens a session as the shim's pipe server does: the response, then
  // `run` on a thread of its own over one end of a connection.
  absl::StatusOr<Client> Open(HostProcessMonitor& monitor, const wire::Request& request, int* pid = nullptr) {
    shim::SessionStart start = StartHostProcessSession(monitor, request);
    if (start.response.code != 0) {
      return absl::Status(static_cast<absl::StatusCode>(start.response.code), start.response.message);
    }
    if (pid != nullptr) *pid = start.response.pid;
    auto [ours, theirs] = shim::MemoryDuplexPair();
    std::shared_ptr<Duplex> shim_end(std::move(theirs));
    sessions_.emplace_back([shim_end, run = std::move(start.run)] { run(*shim_end); });
    Client client;
    client.conn = std::move(ours);
    return client;
  }
  void JoinSessions() {
    for (std::thread& t : sessions_) t.join();
    sessions_.clear();
  }

  static wire::Request ExecRequest(std::vector<std::string> args, bool open_stdin) {
    wire::Request r;
    r.op = wire::Op::kExec;
    r.stream = true;
    r.args = std::move(args);
    wire::SetRequestStdin(r, open_stdin);
    return r;
  }
  static wire::Request AttachRequest() {
    wire::Request r;
    r.op = wire::Op::kAttach;
    return r;
  }
  std::string Log() {
    std::ifstream in(dir_ / "c1.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::vector<std::thread> sessions_;
};

TEST_F(HostProcessSessionsTest, ExecRelaysStdinAndOutputThenTheExitCode) {
  FakeProgram cat{"cat ready\n", "a warning\n", 7u};
  cat.echo_stdin = true;
  fake_.SetProgram("cat.exe", cat);
  auto monitor = Started();
  ASSERT_NE(monitor, nullptr);
  int pid = 0;
  auto client = Open(*monitor, ExecRequest({"cat.exe", "-"}, true), &pid);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_GT(pid, 0);
  client->Send(SessionFrameType::kStdin, "hello ");
  client->Send(SessionFrameType::kStdin, "world\n");
  client->Send(SessionFrameType::kStdinEof);
  client->Read();
  EXPECT_EQ(client->out, "cat ready\nhello world\n");
  EXPECT_EQ(client->err, "a warning\n");
  ASSERT_TRUE(client->exit_code.has_value()) << client->failed;
  EXPECT_EQ(*client->exit_code, 7);
  JoinSessions();
  // In the container's job, with its user and working directory, as ExecSync.
  const std::vector<fake::FakeLaunch> launches = fake_.launches();
  ASSERT_EQ(launches.size(), 2u);
  EXPECT_EQ(launches[1].command_line, "cat.exe -");
  EXPECT_EQ(launches[1].job, "silo-hpc-c1");
  EXPECT_EQ(launches[1].user, launches[0].user);
  EXPECT_EQ(launches[1].working_directory, "C:\\hpc");
  EXPECT_TRUE(launches[1].new_process_group);
  EXPECT_EQ(fake_.LiveProcesses(), 1);
  // Its output is the session's, not the container's log.
  EXPECT_THAT(Log(), Not(HasSubstr("hello")));
  client->conn.reset();
  ShutDownAndExpectNothingLeft(monitor);
}

TEST_F(HostProcessSessionsTest, ExecProcessIsTerminatedWhenSilodLeaves) {
  fake_.SetProgram("hang.exe", FakeProgram{"", "", std::nullopt});
  auto monitor = Started();
  ASSERT_NE(monitor, nullptr);
  auto client = Open(*monitor, ExecRequest({"hang.exe"}, true));
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_EQ(fake_.LiveProcesses(), 2);
  client->conn.reset();  // silod's side closed: nobody watches the exec
  JoinSessions();
  EXPECT_EQ(fake_.LiveProcesses(), 1);  // the main process only
  ShutDownAndExpectNothingLeft(monitor);
}

// A process that never reads its stdin, left to a child that holds it:
// the session's stdin write blocks on a full pipe. A session that hangs here
// waits on that write; it must be cancelled once the process has exited.
TEST_F(HostProcessSessionsTest, ExecSessionEndsThoughItsStdinWriteIsBlocked) {
  FakeProgram deaf{"", "", 0u};
  deaf.child_holds_output = true;
  fake_.SetProgram("deaf.exe", deaf);
  auto monitor = Started();
  ASSERT_NE(monitor, nullptr);
  auto client = Open(*monitor, ExecRequest({"deaf.exe"}, true));
  ASSERT_TRUE(client.ok()) << client.status();
  const std::string chunk(48 * 1024, 'i');
  for (int i = 0; i < 4; ++i) client->Send(SessionFrameType::kStdin, chunk);  // more than the pipe holds
  client->Read();
  ASSERT_TRUE(client->exit_code.has_value()) << client->failed;
  EXPECT_EQ(*client->exit_code, 0);
  JoinSessions();
  EXPECT_EQ(fake_.bad_closes(), 0);
  client->conn.reset();
  ShutDownAndExpectNothingLeft(monitor);
}

TEST_F(HostProcessSessionsTest, ExecWithATtyRunsOnAPseudoConsoleResizedThenClosedAfterTheExit) {
  FakeProgram shell{"Microsoft Windows\r\n", "a warning\r\n", 0u};
  shell.echo_stdin = true;
  fake_.SetProgram("cmd.exe", shell);
  auto monitor = Started();
  ASSERT_NE(monitor, nullptr);
  wire::Request request = ExecRequest({"cmd.exe"}, true);
  request.tty = true;
  request.width = 100;
  request.height = 30;
  auto client = Open(*monitor, request);
  ASSERT_TRUE(client.ok()) << client.status();
  client->Send(SessionFrameType::kResize, shim::ResizePayload(120, 40));
  client->Send(SessionFrameType::kStdin, "dir\r\n");
  client->Send(SessionFrameType::kStdinEof);
  client->Read();
  ASSERT_TRUE(client->exit_code.has_value()) << client->failed;
  EXPECT_EQ(*client->exit_code, 0);
  // One stream: the console's output, stderr included.
  EXPECT_EQ(client->out, "Microsoft Windows\r\na warning\r\ndir\r\n");
  EXPECT_EQ(client->err, "");
  JoinSessions();
  const std::vector<fake::FakeLaunch> launches = fake_.launches();
  ASSERT_EQ(launches.size(), 2u);
  ASSERT_TRUE(launches[1].console.has_value());
  EXPECT_EQ(*launches[1].console, (std::pair<uint16_t, uint16_t>(100, 30)));
  // Ctrl-C on the console reaches the process tree.
  EXPECT_FALSE(launches[1].new_process_group);
  using Sizes = std::vector<std::pair<uint16_t, uint16_t>>;
  EXPECT_EQ(fake_.ConsoleSizes(), std::vector<Sizes>({Sizes{{100, 30}, {120, 40}}}));
  EXPECT_EQ(fake_.open_consoles(), 0);
  EXPECT_EQ(fake_.bad_closes(), 0);
  client->conn.reset();
  ShutDownAndExpectNothingLeft(monitor);
}

TEST_F(HostProcessSessionsTest, ATtyWithoutASizeGets80x25AndAFailedConsoleLeavesNothing) {
  fake_.SetProgram("cmd.exe", FakeProgram{"", "", 0u});
  auto monitor = Started();
  ASSERT_NE(monitor, nullptr);
  wire::Request request = ExecRequest({"cmd.exe"}, false);
  request.tty = true;
  auto client = Open(*monitor, request);
  ASSERT_TRUE(client.ok()) << client.status();
  client->Read();
  EXPECT_EQ(client->exit_code, 0);
  JoinSessions();
  ASSERT_EQ(fake_.ConsoleSizes().size(), 1u);
  EXPECT_EQ(fake_.ConsoleSizes()[0][0], (std::pair<uint16_t, uint16_t>(80, 25)));
  // A Windows without ConPTY: a clear error, nothing left behind.
  fake_.FailNext("CreatePseudoConsole", 127);  // ERROR_PROC_NOT_FOUND
  auto refused = Open(*monitor, request);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("ConPTY"));
  EXPECT_EQ(fake_.open_consoles(), 0);
  EXPECT_EQ(fake_.launches().size(), 2u);
  client->conn.reset();
  ShutDownAndExpectNothingLeft(monitor);
}

// conhost ends what runs on a console whose input breaks: without a stdin
// the console's input is still held until the console is closed.
TEST_F(HostProcessSessionsTest, ATtyExecWithoutStdinRunsToItsOwnExit) {
  fake_.SetProgram("ping.exe", FakeProgram{"Reply from 127.0.0.1\r\n", "", 3u});
  auto monitor = Started();
  ASSERT_NE(monitor, nullptr);
  wire::Request request = ExecRequest({"ping.exe", "127.0.0.1"}, false);
  request.tty = true;
  auto client = Open(*monitor, request);
  ASSERT_TRUE(client.ok()) << client.status();
  client->Read();
  ASSERT_TRUE(client->exit_code.has_value()) << client->failed;
  EXPECT_EQ(*client->exit_code, 3);
  EXPECT_EQ(client->out, "Reply from 127.0.0.1\r\n");
  JoinSessions();
  EXPECT_EQ(fake_.open_consoles(), 0);
  EXPECT_EQ(fake_.bad_closes(), 0);
  client->conn.reset();
  ShutDownAndExpectNothingLeft(monitor);
}

// A close of a console whose output nobody reads may wait for a reader
// (before Windows 11 24H2): a failed launch closes its pipe ends first.
TEST_F(HostProcessSessionsTest, AFailedTtyLaunchClosesItsPipeEndsBeforeTheConsole) {
  fake_.SetProgram("cmd.exe", FakeProgram{"", "", 0u});
  auto monitor = Started();
  ASSERT_NE(monitor, nullptr);
  wire::Request request = ExecRequest({"cmd.exe"}, false);
  request.tty = true;
  fake_.FailNext("CreateProcessAsUserW", 5);  // ERROR_ACCESS_DENIED
  EXPECT_FALSE(Open(*monitor, request).ok());
  const std::vector<std::string> calls = fake_.calls();
  auto failed = std::find(calls.rbegin(), calls.rend(), "CreateProcessAsUserW");  // the exec's
  ASSERT_NE(failed, calls.rend());
  EXPECT_EQ(std::vector<std::string>(failed.base(), calls.end()),
            (std::vector<std::string>{"CloseHandle", "CloseHandle", "ClosePseudoConsole"}));
  EXPECT_EQ(fake_.open_consoles(), 0);
  ShutDownAndExpectNothingLeft(monitor);
}

TEST_F(HostProcessSessionsTest, ExecRefusesAnEmptyCommandAMissingProgramAndAStoppedContainer) {
  auto monitor = Started();
  ASSERT_NE(monitor, nullptr);
  EXPECT_EQ(Open(*monitor, ExecRequest({}, false)).status().code(), absl::StatusCode::kInvalidArgument);
  auto missing = Open(*monitor, ExecRequest({"missing.exe"}, false));
  EXPECT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("missing.exe"));
  ASSERT_TRUE(monitor->Kill(9).ok());
  ASSERT_TRUE(monitor->Wait(std::chrono::milliseconds(-1)).ok());
  EXPECT_EQ(Open(*monitor, ExecRequest({"cmd.exe"}, false)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Open(*monitor, AttachRequest()).status().code(), absl::StatusCode::kFailedPrecondition);
  ShutDownAndExpectNothingLeft(monitor);
}

TEST_F(HostProcessSessionsTest, AttachGetsTheOutputFromNowOnThenTheExitCode) {
  auto monitor = Started();
  ASSERT_NE(monitor, nullptr);
  // What the main process wrote before the attach is in the log already.
  for (int i = 0; i < 2000 && Log().find("up") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_THAT(Log(), HasSubstr("up"));
  auto client = Open(*monitor, AttachRequest());
  ASSERT_TRUE(client.ok()) << client.status();
  // The tap is in place once a line emitted now reaches the client.
  std::atomic<bool> seen{false};
  std::thread emitter([&] {
    while (!seen) {
      fake_.EmitStdout("silo-hpc-c1", "tick\n");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  client->Read("tick\n");
  seen = true;
  emitter.join();
  ASSERT_TRUE(monitor->Kill(9).ok());
  client->Read();
  EXPECT_THAT(client->out, HasSubstr("tick\n"));
  EXPECT_THAT(client->out, Not(HasSubstr("up\n")));  // before the attach: only in the log
  ASSERT_TRUE(client->exit_code.has_value()) << client->failed;
  EXPECT_EQ(*client->exit_code, kTerminatedExitCode);
  JoinSessions();
  EXPECT_THAT(Log(), HasSubstr("up"));
  EXPECT_THAT(Log(), HasSubstr("tick"));
  client->conn.reset();
  ShutDownAndExpectNothingLeft(monitor);
}

TEST_F(HostProcessSessionsTest, AttachDetachesWhenSilodLeaves) {
  auto monitor = Started();
  ASSERT_NE(monitor, nullptr);
  auto client = Open(*monitor, AttachRequest());
  ASSERT_TRUE(client.ok()) << client.status();
  client->conn.reset();
  JoinSessions();
  EXPECT_EQ(monitor->Status().state, HostProcessState::kRunning);  // the container goes on
  ShutDownAndExpectNothingLeft(monitor);
}

}  // namespace
}  // namespace silo::runtime::windows::hostprocess
