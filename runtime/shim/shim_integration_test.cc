// Runs the real silo-shim binary over a busybox container with runc.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/support/build_paths.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "runtime/linux/runc_testing.h"
#include "runtime/shim/cri_log_format.h"
#include "runtime/shim/shim_client.h"
#include "runtime/shim/shim_server.h"

extern char** environ;

namespace silo::runtime::shim {
namespace {

using linux_backend::OciSpecInput;
using linux_backend::testing::BusyboxBundle;
using std::chrono::seconds;
using std::chrono::steady_clock;

Deadline In(seconds s) { return steady_clock::now() + s; }

// A started TTY container with stdin running `args`, and one attacher.
struct TtyContainer {
  std::optional<BusyboxBundle> bundle;
  std::unique_ptr<ShimClient> client;
  ShimClient::AttachedStdio attached;
};

class ShimIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "runc needs root";
    char tmpl[] = "/tmp/silo-shim-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    id_ = linux_backend::testing::UniqueContainerId();
    ASSERT_TRUE(MakeDirs(dir_ + "/runc").ok());
  }
  void TearDown() override {
    if (shim_pid_ > 0) ::kill(shim_pid_, SIGKILL);
    if (!dir_.empty()) {
      // Whatever a failed test left behind: the container, then the files.
      std::string cmd = "runc --root " + dir_ + "/runc delete --force " + id_ + " >/dev/null 2>&1";
      (void)std::system(cmd.c_str());
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  std::string sock() const { return dir_ + "/shim.sock"; }
  std::string log() const { return dir_ + "/0.log"; }
  std::string exit_file() const { return dir_ + "/exit"; }

  // Starts silo-shim and waits for its launcher to return. Returns the
  // launcher's exit code; stderr lands in `*err`.
  int StartShim(const BusyboxBundle& bundle, std::string* err, bool create_only = false,
                std::vector<std::string> extra = {}) {
    const std::string shim = silo::testing::BuiltShim();
    std::vector<std::string> args = {shim,         "--id",        id_,        "--bundle",
                                     bundle.dir(),     "--runc-root", dir_ + "/runc", "--log",
                                     log(),            "--socket",    sock(),     "--exit-file",
                                     exit_file()};
    if (create_only) {
      args.push_back("--create-only");
      args.push_back("true");
    }
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int out[2], errp[2];
    EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
    EXPECT_EQ(::pipe2(errp, O_CLOEXEC), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
    pid_t pid;
    EXPECT_EQ(::posix_spawn(&pid, shim.c_str(), &fa, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    ::close(errp[1]);
    int status = 0;
    EXPECT_EQ(::waitpid(pid, &status, 0), pid);
    std::string pid_text = ReadAll(out[0]);
    *err = ReadAll(errp[0]);
    ::close(out[0]);
    ::close(errp[0]);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      EXPECT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(pid_text), &shim_pid_)) << pid_text;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::unique_ptr<ShimClient> Connect() {
    auto c = ShimClient::Connect(sock(), In(seconds(10)));
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : nullptr;
  }

  // Waits (on a pidfd, no polling) until the shim process is gone.
  bool ShimExits(seconds within) {
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, shim_pid_, 0));
    if (pidfd < 0) return errno == ESRCH;
    struct pollfd p = {pidfd, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(within).count()));
    ::close(pidfd);
    if (n == 1) shim_pid_ = 0;
    return n == 1;
  }

  int RawConnect() {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock().c_str());
    EXPECT_EQ(::connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)), 0);
    return fd;
  }

  static std::string ReadAll(int fd) {
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
      if (n > 0) s.append(buf, static_cast<size_t>(n));
    }
    return s;
  }

  static long RssKiB(int pid) {
    auto status = ReadFile("/proc/" + std::to_string(pid) + "/status");
    if (!status.ok()) return -1;
    for (absl::string_view line : absl::StrSplit(*status, '\n')) {
      if (absl::ConsumePrefix(&line, "VmRSS:")) {
        long kib = 0;
        if (absl::SimpleAtoi(absl::StripSuffix(absl::StripAsciiWhitespace(line), " kB"), &kib)) return kib;
      }
    }
    return -1;
  }

  BusyboxBundle MakeBundle(std::vector<std::string> args, bool terminal = false) {
    OciSpecInput in;
    in.process.args = std::move(args);
    in.process.terminal = terminal;
    in.process.env = {"PATH=/bin"};
    in.cgroups_path = "/" + id_;
    auto b = BusyboxBundle::Create(in);
    EXPECT_TRUE(b.ok()) << b.status();
    return std::move(*b);
  }

  void StartTty(std::vector<std::string> args, TtyContainer* tty) {
    tty->bundle.emplace(MakeBundle(std::move(args), /*terminal=*/true));
    std::string err;
    ASSERT_EQ(StartShim(*tty->bundle, &err, false, {"--tty", "true", "--stdin", "true"}), 0) << err;
    tty->client = Connect();
    ASSERT_NE(tty->client, nullptr);
    auto attached = tty->client->Attach(In(seconds(5)));
    ASSERT_TRUE(attached.ok()) << attached.status();
    tty->attached = *attached;
    ASSERT_GE(tty->attached.in, 0) << "a TTY container's attach carries the pty master";
  }

  std::string dir_, id_;
  int shim_pid_ = 0;
};

TEST_F(ShimIntegrationTest, LogsExitFileAndWaitForAContainerThatExitsThree) {
  BusyboxBundle bundle =
      MakeBundle({"/bin/sh", "-c", "echo one; echo two; echo oops >&2; echo three; exit 3"});
  std::string err;
  ASSERT_EQ(StartShim(bundle, &err), 0) << err;
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  auto waited = client->Wait(In(seconds(20)));
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_TRUE(waited->exited);
  EXPECT_EQ(waited->exit_code, 3);
  EXPECT_EQ(waited->state, "stopped");
  EXPECT_GT(waited->exited_at_unix_nanos, 0);

  // The exit file was written before the answer.
  auto exit_text = ReadFile(exit_file());
  ASSERT_TRUE(exit_text.ok()) << exit_text.status();
  auto exit_json = nlohmann::json::parse(*exit_text);
  EXPECT_EQ(exit_json["exit_code"], 3);
  EXPECT_EQ(exit_json["exited_at_unix_nanos"], waited->exited_at_unix_nanos);

  // The whole log is there and parses in kubelet's format.
  auto text = ReadFile(log());
  ASSERT_TRUE(text.ok());
  std::vector<std::string> out, errs;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    auto r = ParseCriLogRecord(line);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_FALSE(r->partial);
    (r->stream == LogStream::kStdout ? out : errs).push_back(r->content);
  }
  EXPECT_EQ(out, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(errs, (std::vector<std::string>{"oops"}));

  // A second wait after the fact answers at once.
  auto again = Connect()->Wait(In(seconds(5)));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->exit_code, 3);
  EXPECT_EQ(client->ReopenLog(In(seconds(5))).code(), absl::StatusCode::kFailedPrecondition);

  ASSERT_TRUE(client->Shutdown(In(seconds(10))).ok());
  EXPECT_TRUE(ShimExits(seconds(10)));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/runc/" + id_));
  EXPECT_FALSE(linux_backend::testing::CgroupExists("/" + id_));
  EXPECT_FALSE(std::filesystem::exists(sock()));
}

TEST_F(ShimIntegrationTest, AttachGetsOutputAndASlowAttacherIsCutOffNotBuffered) {
  // Waits for a marker file, then prints a line and 3 MiB of output: more
  // than an attacher's pipe holds.
  BusyboxBundle bundle = MakeBundle(
      {"/bin/sh", "-c",
       "while [ ! -e /tmp/go ]; do /bin/busybox sleep 0.05; done; echo started; "
       "/bin/busybox head -c 3145728 /dev/zero | /bin/busybox tr '\\0' x; echo; echo done"});
  ASSERT_TRUE(MakeDirs(bundle.path("rootfs/tmp")).ok());
  std::string err;
  ASSERT_EQ(StartShim(bundle, &err), 0) << err;
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  // An attacher that reads nothing until the container has exited.
  auto slow = client->Attach(In(seconds(5)));
  ASSERT_TRUE(slow.ok()) << slow.status();
  EXPECT_EQ(slow->in, -1) << "created without stdin";
  ASSERT_TRUE(AtomicWriteFile(bundle.path("rootfs/tmp/go"), "").ok());
  // The shim neither stalls nor buffers for it: the exit is recorded.
  auto waited = client->Wait(In(seconds(30)));
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_EQ(waited->exit_code, 0);
  // It got a prefix (what fitted in its pipe), then EOF.
  std::string got = ReadAll(slow->out);
  EXPECT_TRUE(absl::StartsWith(got, "started\nxxxx")) << got.substr(0, 20);
  EXPECT_LT(got.size(), 3145728u);
  EXPECT_EQ(got.find_first_not_of('x', 8), std::string::npos) << "only a prefix, nothing made up";
  EXPECT_EQ(ReadAll(slow->err), "");
  for (int f : {slow->out, slow->err}) ::close(f);
  // The log has everything, whatever the attacher did.
  auto text = ReadFile(log());
  ASSERT_TRUE(text.ok());
  EXPECT_TRUE(absl::StrContains(*text, " stdout F done"));
  ASSERT_TRUE(client->Shutdown(In(seconds(10))).ok());
  EXPECT_TRUE(ShimExits(seconds(10)));
}

// Log records of `text` as (stream, content) with a terminal's "\r" dropped.
std::vector<std::pair<LogStream, std::string>> LogRecords(const std::string& text) {
  std::vector<std::pair<LogStream, std::string>> records;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    auto r = ParseCriLogRecord(line);
    EXPECT_TRUE(r.ok()) << r.status() << ": " << line;
    if (r.ok()) records.emplace_back(r->stream, std::string(absl::StripSuffix(r->content, "\r")));
  }
  return records;
}

TEST_F(ShimIntegrationTest, TtyContainerRunsOnATerminalSizedAndFedThroughAttach) {
  TtyContainer tty;
  ASSERT_NO_FATAL_FAILURE(StartTty({"/bin/sh"}, &tty));
  auto& client = tty.client;
  auto* attached = &tty.attached;
  struct winsize ws = {};
  ws.ws_row = 33;
  ws.ws_col = 101;
  ASSERT_EQ(::ioctl(attached->in, TIOCSWINSZ, &ws), 0) << "the master sizes the container's terminal";
  const std::string input = "tty; stty size; echo $((6*7)) >&2; exit 4\n";
  ASSERT_EQ(::write(attached->in, input.data(), input.size()), static_cast<ssize_t>(input.size()));
  auto waited = client->Wait(In(seconds(20)));
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_EQ(waited->exit_code, 4);
  // The attacher saw the terminal: its echo and the answers, all on stdout.
  std::string out = ReadAll(attached->out);
  EXPECT_TRUE(absl::StrContains(out, "/dev/pts/0\r\n")) << out;
  EXPECT_TRUE(absl::StrContains(out, "33 101\r\n")) << out;
  EXPECT_TRUE(absl::StrContains(out, "42\r\n")) << out;
  EXPECT_EQ(ReadAll(attached->err), "") << "a terminal has no separate stderr";
  for (int f : {attached->out, attached->err, attached->in}) ::close(f);
  // The log holds the same lines, as stdout records.
  auto text = ReadFile(log());
  ASSERT_TRUE(text.ok());
  auto records = LogRecords(*text);
  for (const char* want : {"/dev/pts/0", "33 101", "42"}) {
    EXPECT_NE(std::find(records.begin(), records.end(), std::pair{LogStream::kStdout, std::string(want)}),
              records.end())
        << want << " in\n" << *text;
  }
  for (const auto& [stream, content] : records) EXPECT_EQ(stream, LogStream::kStdout) << content;
  ASSERT_TRUE(client->Shutdown(In(seconds(10))).ok());
  EXPECT_TRUE(ShimExits(seconds(10)));
}

TEST_F(ShimIntegrationTest, ClosingATtyContainersStdinSendsEndOfInput) {
  TtyContainer tty;
  ASSERT_NO_FATAL_FAILURE(StartTty({"/bin/cat"}, &tty));
  auto& client = tty.client;
  auto* attached = &tty.attached;
  ASSERT_EQ(::write(attached->in, "hello\n", 6), 6);
  for (int f : {attached->err, attached->in}) ::close(f);
  // cat is still reading: closing our duplicate of the master ended nothing.
  auto state = client->State(In(seconds(5)));
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_FALSE(state->exited);
  ASSERT_TRUE(client->CloseStdin(In(seconds(5))).ok());
  auto waited = client->Wait(In(seconds(20)));
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_EQ(waited->exit_code, 0) << "cat read ^D as the end of its input";
  std::string out = ReadAll(attached->out);
  ::close(attached->out);
  EXPECT_EQ(out, "hello\r\nhello\r\n") << "the echo, then cat's copy";
  ASSERT_TRUE(client->Shutdown(In(seconds(10))).ok());
  EXPECT_TRUE(ShimExits(seconds(10)));
}

TEST_F(ShimIntegrationTest, KillOverTheSocketAndStateTransitions) {
  BusyboxBundle bundle = MakeBundle({"/bin/sleep", "100"});
  std::string err;
  ASSERT_EQ(StartShim(bundle, &err), 0) << err;
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  auto state = client->State(In(seconds(5)));
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->state, "running");
  EXPECT_GT(state->pid, 0);
  EXPECT_FALSE(state->exited);
  EXPECT_EQ(client->Shutdown(In(seconds(5))).code(), absl::StatusCode::kFailedPrecondition);

  // Garbage and oversized frames cost the sender its connection, nothing more.
  {
    int raw = RawConnect();
    ASSERT_TRUE(WriteFrame(raw, "{not json").ok());
    auto reply = ReadFrame(raw, In(seconds(5)));
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(ResponseStatus(*DecodeResponse(*reply)).code(), absl::StatusCode::kInvalidArgument);
    ASSERT_TRUE(WriteFrame(raw, R"({"op":"kill","signal":1000})").ok());
    reply = ReadFrame(raw, In(seconds(5)));
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(ResponseStatus(*DecodeResponse(*reply)).code(), absl::StatusCode::kInvalidArgument);
    ASSERT_EQ(::write(raw, "\xff\xff\xff\xff", 4), 4);
    reply = ReadFrame(raw, In(seconds(5)));
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(ResponseStatus(*DecodeResponse(*reply)).code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ReadFrame(raw, In(seconds(5))).status().code(), absl::StatusCode::kUnavailable);  // dropped
    ::close(raw);
    int silent = RawConnect();  // connects and hangs up mid-frame
    ASSERT_EQ(::write(silent, "\0\0", 2), 2);
    ::close(silent);
    auto still = client->State(In(seconds(5)));
    ASSERT_TRUE(still.ok()) << still.status();
    EXPECT_EQ(still->state, "running");
  }

  long rss = RssKiB(shim_pid_);
  EXPECT_GT(rss, 0);
  std::printf("silo-shim VmRSS: %ld KiB\n", rss);
  RecordProperty("shim_rss_kib", static_cast<int>(rss));

  // The wait is in flight on its own connection before the kill.
  auto waiter = Connect();
  ASSERT_NE(waiter, nullptr);
  ASSERT_TRUE(client->Kill(SIGKILL, /*all=*/false, In(seconds(10))).ok());
  auto waited = waiter->Wait(In(seconds(20)));
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_EQ(waited->exit_code, 128 + SIGKILL);

  state = client->State(In(seconds(5)));
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->state, "stopped");
  EXPECT_TRUE(state->exited);
  EXPECT_EQ(state->exit_code, 137);
  EXPECT_EQ(client->Kill(SIGTERM, false, In(seconds(5))).code(), absl::StatusCode::kFailedPrecondition);

  EXPECT_EQ(client->Exec({"/bin/true"}, {}, std::chrono::milliseconds(0), In(seconds(5))).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // Nothing to attach to once the exit is recorded.
  EXPECT_EQ(client->Attach(In(seconds(5))).status().code(), absl::StatusCode::kFailedPrecondition);

  ASSERT_TRUE(client->Shutdown(In(seconds(10))).ok());
  EXPECT_TRUE(ShimExits(seconds(10)));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/runc/" + id_));
}

TEST_F(ShimIntegrationTest, ExecSyncOutputExitCodeAndTimeout) {
  BusyboxBundle bundle = MakeBundle({"/bin/sleep", "100"});
  std::string err;
  ASSERT_EQ(StartShim(bundle, &err), 0) << err;
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  auto r = client->Exec({"/bin/sh", "-c", "echo out $X; echo err >&2; exit 7"}, {"X=42"},
                        std::chrono::milliseconds(0), In(seconds(20)));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 7);
  EXPECT_EQ(r->stdout_data, "out 42\n");
  EXPECT_EQ(r->stderr_data, "err\n");

  // Large output survives the response frame intact.
  r = client->Exec({"/bin/sh", "-c", "i=0; while [ $i -lt 20000 ]; do echo 0123456789abcdef; i=$((i+1)); done"}, {},
                   std::chrono::milliseconds(0), In(seconds(60)));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->stdout_data.size(), 20000u * 17);

  auto start = steady_clock::now();
  r = client->Exec({"/bin/sleep", "5"}, {}, std::chrono::milliseconds(1000), In(seconds(20)));
  auto took = steady_clock::now() - start;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
  EXPECT_GE(took, std::chrono::milliseconds(1000));
  EXPECT_LT(took, std::chrono::milliseconds(4000));

  // The container's own log is untouched by exec output.
  auto text = ReadFile(log());
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "");
  ASSERT_TRUE(client->Kill(SIGKILL, false, In(seconds(10))).ok());
  ASSERT_TRUE(client->Wait(In(seconds(20))).ok());
  ASSERT_TRUE(client->Shutdown(In(seconds(10))).ok());
  EXPECT_TRUE(ShimExits(seconds(10)));
}

TEST_F(ShimIntegrationTest, CreateOnlyWaitsForStart) {
  BusyboxBundle bundle = MakeBundle({"/bin/sh", "-c", "echo started"});
  std::string err;
  ASSERT_EQ(StartShim(bundle, &err, /*create_only=*/true), 0) << err;
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  auto state = client->State(In(seconds(5)));
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->state, "created");
  EXPECT_GT(state->pid, 0);
  auto text = ReadFile(log());
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "");  // nothing ran yet
  ASSERT_TRUE(client->Start(In(seconds(10))).ok());
  EXPECT_EQ(client->Start(In(seconds(5))).code(), absl::StatusCode::kFailedPrecondition);
  auto waited = client->Wait(In(seconds(20)));
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_EQ(waited->exit_code, 0);
  text = ReadFile(log());
  ASSERT_TRUE(text.ok());
  auto record = ParseCriLogRecord(*text);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->content, "started");
  ASSERT_TRUE(client->Shutdown(In(seconds(10))).ok());
  EXPECT_TRUE(ShimExits(seconds(10)));
}

TEST_F(ShimIntegrationTest, ReopenLogAfterRotation) {
  // Prints one numbered line per 50 ms until killed.
  BusyboxBundle bundle =
      MakeBundle({"/bin/sh", "-c", "i=0; while true; do echo line$i; i=$((i+1)); sleep 0.05; done"});
  std::string err;
  ASSERT_EQ(StartShim(bundle, &err), 0) << err;
  auto client = Connect();
  ASSERT_NE(client, nullptr);
  // Wait for output to appear (bounded; the container writes every 50 ms).
  auto has_output = [](const std::string& path) {
    auto t = ReadFile(path);
    return t.ok() && t->find('\n') != std::string::npos;
  };
  Deadline deadline = In(seconds(10));
  while (!has_output(log()) && steady_clock::now() < deadline) ::poll(nullptr, 0, 20);
  ASSERT_TRUE(has_output(log()));
  std::string rotated = log() + ".1";
  ASSERT_EQ(::rename(log().c_str(), rotated.c_str()), 0);
  ASSERT_TRUE(client->ReopenLog(In(seconds(5))).ok());
  ASSERT_TRUE(std::filesystem::exists(log()));
  deadline = In(seconds(10));
  while (!has_output(log()) && steady_clock::now() < deadline) ::poll(nullptr, 0, 20);
  ASSERT_TRUE(has_output(log()));
  ASSERT_TRUE(client->Kill(SIGKILL, false, In(seconds(10))).ok());
  ASSERT_TRUE(client->Wait(In(seconds(20))).ok());

  // No line lost or duplicated across the rotation.
  std::vector<std::string> lines;
  for (const std::string& path : {rotated, log()}) {
    auto t = ReadFile(path);
    ASSERT_TRUE(t.ok());
    for (absl::string_view l : absl::StrSplit(*t, '\n', absl::SkipEmpty())) {
      auto r = ParseCriLogRecord(l);
      ASSERT_TRUE(r.ok()) << r.status();
      lines.push_back(r->content);
    }
  }
  ASSERT_GE(lines.size(), 2u);
  for (size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(lines[i], "line" + std::to_string(i));
  ASSERT_TRUE(client->Shutdown(In(seconds(10))).ok());
  EXPECT_TRUE(ShimExits(seconds(10)));
}

TEST_F(ShimIntegrationTest, StartFailureIsReportedAndLeavesNoSocket) {
  BusyboxBundle bundle = MakeBundle({"/bin/no-such-program"});
  std::string err;
  EXPECT_EQ(StartShim(bundle, &err), 1);
  EXPECT_NE(err.find("no-such-program"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(sock()));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/runc/" + id_));
}

TEST(ShimExitFileTest, Format) {
  EXPECT_EQ(FormatExitFile(3, 1700000000000000001), "{\"exit_code\":3,\"exited_at_unix_nanos\":1700000000000000001}\n");
}

}  // namespace
}  // namespace silo::runtime::shim
