#include "runtime/windows/shim/monitor_sessions.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/shim/memory_duplex.h"
#include "runtime/windows/shim/stdin_feeder.h"

namespace silo::runtime::windows::shim {
namespace {

using fake::FakeHcs;
using ::testing::HasSubstr;
namespace wire = runtime::shim;

constexpr char kDocument[] = R"({"Owner":"silo","SchemaVersion":{"Major":2,"Minor":1}})";
constexpr char kMain[] = R"({"CommandLine":"app.exe","WorkingDirectory":"C:\\"})";

Deadline Soon() { return hcs::Clock::now() + std::chrono::seconds(10); }

bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// silod's end of a session: what it has read so far, and how it ended.
struct Client {
  std::unique_ptr<Duplex> conn;
  std::string out, err;
  std::optional<int64_t> exit_code;
  std::string failed;
  bool ended = false;

  // Reads frames until kExit/kFailed or end of stream.
  void ReadToEnd() {
    while (std::optional<SessionFrame> f = ReadSessionFrame(*conn)) {
      if (f->type == SessionFrameType::kStdout) out += f->payload;
      if (f->type == SessionFrameType::kStderr) err += f->payload;
      if (f->type == SessionFrameType::kFailed) failed = f->payload;
      int64_t code = 0;
      if (f->type == SessionFrameType::kExit && ParseExit(f->payload, &code)) exit_code = code;
      if (f->type == SessionFrameType::kExit || f->type == SessionFrameType::kFailed) break;
    }
    ended = true;
  }
  void Send(SessionFrameType type, std::string_view payload = {}) {
    ASSERT_TRUE(conn->Write(EncodeSessionFrame(type, payload)));
  }
};

class MonitorSessionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/silo-winsession-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (uint32_t pid : stalled_) fake_.StopReadingStdin("c1", pid, false);
    for (std::thread& t : sessions_) t.join();
    monitor_.reset();
    fake_.Drain();
    EXPECT_EQ(fake_.open_process_handles(), 0);
    EXPECT_EQ(fake_.open_stdio_handles(), 0);
    EXPECT_EQ(fake_.bad_closes(), 0);
    std::system(("rm -rf " + dir_).c_str());
  }

  void StartMonitor(bool open_stdin) {
    MonitorOptions o;
    o.id = "c1";
    o.document_json = kDocument;
    o.process_json = kMain;
    o.open_stdin = open_stdin;
    o.log_path = dir_ + "/c1.log";
    o.exit_path = dir_ + "/c1.exit";
    auto m = ContainerMonitor::Create(fake_.api(), fake_.stdio_io(), std::move(o), Soon());
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    monitor_ = std::move(*m);
    ASSERT_TRUE(monitor_->Start(Soon()).ok());
  }

  // Opens a session as the pipe server does: response first, then `run`
  // on a thread of the "shim".
  wire::Response Open(const wire::Request& request, Client* client) {
    SessionStart start = StartMonitorSession(*monitor_, request);
    if (!start.run) return start.response;
    auto [ours, theirs] = MemoryDuplexPair();
    client->conn = std::move(ours);
    std::shared_ptr<Duplex> shim_end(std::move(theirs));
    sessions_.emplace_back([this, shim_end, run = std::move(start.run)] {
      run(*shim_end);
      ++sessions_ended_;
    });
    return start.response;
  }

  static wire::Request Exec(const std::string& process, bool tty, bool stdin) {
    wire::Request r;
    r.op = wire::Op::kExec;
    r.stream = true;
    r.tty = tty;
    r.stdin = stdin;
    r.process = process;
    return r;
  }

  // Process `pid` stops reading its stdin and `c` sends it a line: the
  // session's write of it is left blocked.
  bool FillStdin(Client* c, uint32_t pid) {
    stalled_.push_back(pid);
    fake_.StopReadingStdin("c1", pid);
    c->Send(SessionFrameType::kStdin, "never read\n");
    return Eventually([&] { return fake_.blocked_stdin_writes() == 1; });
  }
  // An exec with stdin whose write is blocked; its pid, 0 on failure.
  uint32_t ExecWithFullStdin(Client* c) {
    StartMonitor(false);
    wire::Response r = Open(Exec(R"({"CommandLine":"cmd /c pause"})", false, true), c);
    if (r.code != 0) return 0;
    return FillStdin(c, static_cast<uint32_t>(r.pid)) ? static_cast<uint32_t>(r.pid) : 0;
  }
  // An attach to a container with stdin whose write is blocked; the main pid, 0 on failure.
  uint32_t AttachWithFullStdin(Client* c) {
    StartMonitor(/*open_stdin=*/true);
    const uint32_t main_pid = monitor_->Status().pid;
    wire::Request attach;
    attach.op = wire::Op::kAttach;
    attach.stdin = true;
    if (Open(attach, c).code != 0) return 0;
    return FillStdin(c, main_pid) ? main_pid : 0;
  }

  void ExpectTheSessionEndedAndReleasedItsWrite() {
    EXPECT_TRUE(Eventually([&] { return sessions_ended_ == 1; })) << "the session hangs on its stdin writer";
    EXPECT_EQ(fake_.blocked_stdin_writes(), 0);
  }

  FakeHcs fake_;
  std::string dir_;
  // Processes made to stop reading: they read again at the end, so a
  // session hung on its stdin lets the test report instead of hanging.
  std::vector<uint32_t> stalled_;
  std::unique_ptr<ContainerMonitor> monitor_;
  std::vector<std::thread> sessions_;
  std::atomic<int> sessions_ended_{0};
};

TEST_F(MonitorSessionsTest, ExecRelaysStdinStdoutStderrAndTheExitCode) {
  StartMonitor(false);
  Client c;
  wire::Response r = Open(Exec(R"({"CommandLine":"cmd /c sort"})", false, true), &c);
  ASSERT_EQ(r.code, 0) << r.message;
  const uint32_t pid = static_cast<uint32_t>(r.pid);
  const nlohmann::json params = nlohmann::json::parse(fake_.ProcessParameters("c1", pid));
  EXPECT_EQ(params["CreateStdInPipe"], true);
  EXPECT_EQ(params["CreateStdErrPipe"], true);

  c.Send(SessionFrameType::kStdin, "b\na\n");
  ASSERT_TRUE(Eventually([&] { return fake_.ProcessStdin("c1", pid) == "b\na\n"; }));
  c.Send(SessionFrameType::kStdinEof);
  // Stdin EOF reaches the process as HCS's CloseHandle of StdIn.
  ASSERT_TRUE(Eventually([&] {
    for (const std::string& s : fake_.Signals("c1", pid)) {
      if (s.find("CloseHandle") != std::string::npos && s.find("StdIn") != std::string::npos) return true;
    }
    return false;
  }));
  ASSERT_TRUE(fake_.WriteProcessOutput("c1", pid, false, "a\nb\n"));
  ASSERT_TRUE(fake_.WriteProcessOutput("c1", pid, true, "sorted 2 lines\n"));
  fake_.ExitProcess("c1", pid, 3);
  c.ReadToEnd();
  EXPECT_EQ(c.out, "a\nb\n");
  EXPECT_EQ(c.err, "sorted 2 lines\n");
  ASSERT_TRUE(c.exit_code.has_value()) << c.failed;
  EXPECT_EQ(*c.exit_code, 3);
  // The exec's output is not the container's: nothing of it in the CRI log.
  EXPECT_THAT(ReadAll(dir_ + "/c1.log"), ::testing::Not(HasSubstr("sorted")));
}

TEST_F(MonitorSessionsTest, TtyExecEmulatesAConsoleAndResizesItThroughHcs) {
  StartMonitor(false);
  Client c;
  wire::Response r = Open(
      Exec(R"({"CommandLine":"cmd","EmulateConsole":true,"ConsoleSize":[24,80]})", /*tty=*/true, true), &c);
  ASSERT_EQ(r.code, 0) << r.message;
  const uint32_t pid = static_cast<uint32_t>(r.pid);
  const nlohmann::json params = nlohmann::json::parse(fake_.ProcessParameters("c1", pid));
  EXPECT_EQ(params["EmulateConsole"], true);
  EXPECT_EQ(params["CreateStdErrPipe"], false) << "a console merges stderr into stdout";
  c.Send(SessionFrameType::kResize, ResizePayload(132, 43));
  ASSERT_TRUE(Eventually([&] {
    for (const std::string& s : fake_.Signals("c1", pid)) {
      if (s.find("ConsoleSize") != std::string::npos && s.find("132") != std::string::npos &&
          s.find("43") != std::string::npos) {
        return true;
      }
    }
    return false;
  }));
  ASSERT_TRUE(fake_.WriteProcessOutput("c1", pid, false, "C:\\>"));
  fake_.ExitProcess("c1", pid, 0);
  c.ReadToEnd();
  EXPECT_EQ(c.out, "C:\\>");
  ASSERT_TRUE(c.exit_code.has_value());
  EXPECT_EQ(*c.exit_code, 0);
}

TEST_F(MonitorSessionsTest, AnExecWhoseClientLeftIsTerminated) {
  StartMonitor(false);
  Client c;
  wire::Response r = Open(Exec(R"({"CommandLine":"ping -t localhost"})", false, false), &c);
  ASSERT_EQ(r.code, 0) << r.message;
  const uint32_t pid = static_cast<uint32_t>(r.pid);
  ASSERT_TRUE(fake_.ProcessRunning("c1", pid));
  c.conn.reset();  // silod's side closes: the client went away
  EXPECT_TRUE(Eventually([&] { return !fake_.ProcessRunning("c1", pid); }));
  EXPECT_TRUE(monitor_->Status().state == MonitorState::kRunning) << "only the exec ends, not the container";
}

TEST_F(MonitorSessionsTest, ExecOfABadProcessAnswersAnErrorAndOpensNoSession) {
  StartMonitor(false);
  Client c;
  wire::Response r = Open(Exec("not json", false, false), &c);
  EXPECT_EQ(r.code, wire::kCodeInvalidArgument) << r.message;
  EXPECT_EQ(c.conn, nullptr);
  wire::Request not_streamed = Exec(R"({"CommandLine":"x"})", false, false);
  not_streamed.stream = false;
  EXPECT_FALSE(IsSessionRequest(not_streamed));
}

TEST_F(MonitorSessionsTest, AttachTeesTheMainOutputAndFeedsItsStdinUntilItExits) {
  StartMonitor(/*open_stdin=*/true);
  const uint32_t main_pid = monitor_->Status().pid;
  ASSERT_TRUE(fake_.WriteProcessOutput("c1", main_pid, false, "before attach\n"));
  ASSERT_TRUE(Eventually([&] { return ReadAll(dir_ + "/c1.log").find("before attach") != std::string::npos; }));
  Client c;
  wire::Request attach;
  attach.op = wire::Op::kAttach;
  attach.stdin = true;
  ASSERT_EQ(Open(attach, &c).code, 0);
  // The tap is in place once the session thread registered it; output
  // written after that reaches both the log and the attacher.
  c.Send(SessionFrameType::kStdin, "hello\n");
  ASSERT_TRUE(Eventually([&] { return fake_.ProcessStdin("c1", main_pid) == "hello\n"; }));
  ASSERT_TRUE(fake_.WriteProcessOutput("c1", main_pid, false, "echo: hello\n"));
  ASSERT_TRUE(fake_.WriteProcessOutput("c1", main_pid, true, "warn\n"));
  ASSERT_TRUE(Eventually([&] { return ReadAll(dir_ + "/c1.log").find("warn") != std::string::npos; }));
  fake_.ExitProcess("c1", main_pid, 4);
  c.ReadToEnd();
  EXPECT_EQ(c.out, "echo: hello\n") << "only output from the attach on";
  EXPECT_EQ(c.err, "warn\n");
  ASSERT_TRUE(c.exit_code.has_value()) << c.failed;
  const std::string log = ReadAll(dir_ + "/c1.log");
  EXPECT_THAT(log, HasSubstr(" stdout F echo: hello"));
  EXPECT_THAT(log, HasSubstr(" stderr F warn"));
}

TEST_F(MonitorSessionsTest, AttachStdinEofClosesTheContainersStdin) {
  StartMonitor(/*open_stdin=*/true);
  const uint32_t main_pid = monitor_->Status().pid;
  Client c;
  wire::Request attach;
  attach.op = wire::Op::kAttach;
  attach.stdin = true;
  ASSERT_EQ(Open(attach, &c).code, 0);
  c.Send(SessionFrameType::kStdinEof);
  ASSERT_TRUE(Eventually([&] { return monitor_->stdin_handle() == nullptr; }));
  EXPECT_FALSE(monitor_->WriteMainStdin("late").ok());
  fake_.ExitProcess("c1", main_pid, 0);
  c.ReadToEnd();
  EXPECT_TRUE(c.exit_code.has_value());
}

TEST_F(MonitorSessionsTest, AttachAfterTheExitIsRefusedAndADetachLeavesTheContainerRunning) {
  StartMonitor(false);
  const uint32_t main_pid = monitor_->Status().pid;
  {
    Client c;
    wire::Request attach;
    attach.op = wire::Op::kAttach;
    ASSERT_EQ(Open(attach, &c).code, 0);
    c.conn.reset();  // detach
  }
  for (std::thread& t : sessions_) t.join();
  sessions_.clear();
  EXPECT_EQ(monitor_->Status().state, MonitorState::kRunning);
  fake_.ExitProcess("c1", main_pid, 9);
  ASSERT_TRUE(monitor_->Wait(Soon()).ok());
  // As containerd: an exited container is not attached to.
  Client late;
  wire::Request attach;
  attach.op = wire::Op::kAttach;
  const wire::Response refused = Open(attach, &late);
  EXPECT_EQ(refused.code, wire::kCodeFailedPrecondition);
  EXPECT_NE(refused.message.find("not running"), std::string::npos) << refused.message;
}

TEST_F(MonitorSessionsTest, AnExecThatStoppedReadingStdinEndsWhenItExits) {
  Client c;
  const uint32_t pid = ExecWithFullStdin(&c);
  ASSERT_NE(pid, 0u);
  fake_.ExitProcess("c1", pid, 3);
  c.ReadToEnd();
  EXPECT_EQ(c.exit_code, 3);
  // The session closes the process's stdin, which releases the write.
  ExpectTheSessionEndedAndReleasedItsWrite();
}

TEST_F(MonitorSessionsTest, AnExecWhoseClientLeftWhileItsStdinWasFullIsTerminated) {
  Client c;
  const uint32_t pid = ExecWithFullStdin(&c);
  ASSERT_NE(pid, 0u);
  c.conn.reset();  // the client leaves while the write is stuck
  EXPECT_TRUE(Eventually([&] { return !fake_.ProcessRunning("c1", pid); })) << "the client's leaving went unseen";
  ExpectTheSessionEndedAndReleasedItsWrite();
}

// More input than the feeder queues: its reader waits in Push for room the
// stalled process never makes.
void SendMoreThanTheFeederQueues(Client* c) {
  const std::string frame(kMaxSessionPayload, 'x');
  for (size_t sent = 0; sent <= StdinFeeder::kMaxQueued + kMaxSessionPayload; sent += frame.size()) {
    c->Send(SessionFrameType::kStdin, frame);
  }
}

TEST_F(MonitorSessionsTest, AnExecWhoseClientFilledTheStdinQueueEndsWhenItExits) {
  Client c;
  const uint32_t pid = ExecWithFullStdin(&c);
  ASSERT_NE(pid, 0u);
  SendMoreThanTheFeederQueues(&c);
  fake_.ExitProcess("c1", pid, 3);
  c.ReadToEnd();
  EXPECT_EQ(c.exit_code, 3);
  ExpectTheSessionEndedAndReleasedItsWrite();
}

TEST_F(MonitorSessionsTest, AnAttachWhoseClientFilledTheStdinQueueEndsWithTheContainer) {
  Client c;
  const uint32_t main_pid = AttachWithFullStdin(&c);
  ASSERT_NE(main_pid, 0u);
  SendMoreThanTheFeederQueues(&c);
  fake_.ExitProcess("c1", main_pid, 0);
  c.ReadToEnd();
  ExpectTheSessionEndedAndReleasedItsWrite();
}

TEST_F(MonitorSessionsTest, ADetachReleasesAStdinWriteTheContainerDoesNotReadAndKeepsItsStdin) {
  Client c;
  const uint32_t main_pid = AttachWithFullStdin(&c);
  ASSERT_NE(main_pid, 0u);
  c.conn.reset();  // detach
  ExpectTheSessionEndedAndReleasedItsWrite();
  EXPECT_EQ(monitor_->Status().state, MonitorState::kRunning);
  EXPECT_NE(monitor_->stdin_handle(), nullptr) << "a detach must not close the container's stdin";
  fake_.StopReadingStdin("c1", main_pid, false);
  EXPECT_TRUE(monitor_->WriteMainStdin("read again\n").ok());
  EXPECT_EQ(fake_.ProcessStdin("c1", main_pid), "read again\n");
}

TEST_F(MonitorSessionsTest, TheMainExitReleasesAnAttachersStdinWrite) {
  Client c;
  const uint32_t main_pid = AttachWithFullStdin(&c);
  ASSERT_NE(main_pid, 0u);
  fake_.ExitProcess("c1", main_pid, 0);
  c.ReadToEnd();
  EXPECT_TRUE(c.exit_code.has_value()) << c.failed;
  ExpectTheSessionEndedAndReleasedItsWrite();
  EXPECT_EQ(monitor_->stdin_handle(), nullptr) << "an exited container's stdin is closed";
}

}  // namespace
}  // namespace silo::runtime::windows::shim
