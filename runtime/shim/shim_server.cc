#include "runtime/shim/shim_server.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"
#include "runtime/base/cleanup.h"
#include "runtime/base/file_util.h"
#include "runtime/base/saturating_time.h"
#include "runtime/base/status_macros.h"
#include "runtime/linux/runc.h"
#include "runtime/shim/console_socket.h"
#include "runtime/shim/cri_log_writer.h"
#include "runtime/shim/exec_session.h"
#include "runtime/shim/fd_passing.h"
#include "runtime/shim/protocol.h"
#include "runtime/shim/stream_exec.h"

namespace silo::runtime::shim {
namespace {

using linux_backend::Runc;
using linux_backend::RuncStdio;

// After the init exits, how long to wait for the pipes to close before the
// exit is recorded anyway (a leaked descriptor must not hang waiters).
constexpr std::chrono::seconds kDrainGrace(2);

int64_t NowUnixNanos() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

struct Stream {
  int fd = -1;
  std::unique_ptr<CriLineSplitter> splitter;
};

struct Client {
  FrameDecoder decoder;
  // A client with a pending wait or exec sends nothing until answered.
  bool waiting = false;  // for the init's exit
  bool in_exec = false;  // for an exec's result
};

}  // namespace

std::string FormatExitFile(int exit_code, int64_t exited_at_unix_nanos) {
  return nlohmann::json{{"exit_code", exit_code}, {"exited_at_unix_nanos", exited_at_unix_nanos}}.dump() + "\n";
}

struct ShimServer::Impl {
  explicit Impl(ShimOptions o) : options(std::move(o)), runc(options.runc_binary, options.runc_root) {}

  ShimOptions options;
  Runc runc;
  std::unique_ptr<CriLogWriter> log;
  int signal_fd = -1;
  int listen_fd = -1;
  Stream out, err;
  int stdin_w = -1;  // the container's stdin pipe (open_stdin), until close_stdin
  // A TTY container's pty master (a duplicate of out.fd's, which closes at
  // EIO): what attach resizes through; stdin_w is another duplicate then.
  int console = -1;
  // Attached clients' pipe write ends: copies of stdout and stderr.
  struct Attacher {
    int out = -1;
    int err = -1;
  };
  std::vector<Attacher> attachers;
  std::map<int, Client> clients;
  std::vector<std::unique_ptr<ExecSession>> execs;
  int exec_seq = 0;
  int init_pid = 0;
  bool exited = false;    // init reaped
  bool recorded = false;  // exit file written, waiters answered
  bool shutting_down = false;
  bool started = false;
  int exit_code = 0;
  int64_t exited_at = 0;
  std::chrono::steady_clock::time_point exited_steady;

  absl::Status Bind();
  absl::Status CreateContainer();
  absl::Status CreateTtyContainer(const std::string& pid_file);
  absl::Status ReadPidAndStart(const std::string& pid_file);
  void OnSignal();
  void OnOutput(Stream& s);
  void CloseStream(Stream& s);
  void MaybeRecordExit(bool force);
  void OnClientReadable(int fd);
  void Handle(int fd, Client& client, const Request& request);
  void Reply(int fd, const Response& response);
  void DropClient(int fd);
  Response StateResponse() const;
  void StartExec(int fd, Client& client, const Request& request);
  // Passes fresh output pipes (and stdin) to the client; see the header.
  void Attach(int fd);
  // Copies a chunk of the main process's output to every attacher.
  void FanOut(bool is_stdout, absl::string_view data);
  void CloseAttachers();
  // Interactive exec: hands the stdio to the client, answers the exit later.
  void StartStreamingExec(int fd, Client& client, const Request& request, const std::string& scratch,
                          const std::string& process_json);
  // Times out and answers exec sessions; returns the poll timeout they need.
  int ServiceExecs();
};

ShimServer::ShimServer(ShimOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

ShimServer::~ShimServer() {
  Impl& s = *impl_;
  for (auto& [fd, c] : s.clients) ::close(fd);
  for (int fd : {s.signal_fd, s.listen_fd, s.out.fd, s.err.fd, s.stdin_w, s.console}) {
    if (fd >= 0) ::close(fd);
  }
  s.CloseAttachers();
}

absl::Status ShimServer::Impl::Bind() {
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (options.socket_path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("shim socket path too long: ", options.socket_path));
  }
  std::memcpy(addr.sun_path, options.socket_path.c_str(), options.socket_path.size() + 1);
  ::unlink(options.socket_path.c_str());  // a stale socket from a dead shim
  listen_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd < 0) return ErrnoToStatus(errno, "create shim socket");
  mode_t old = ::umask(0077);  // only root (silod) may talk to the shim
  int rc = ::bind(listen_fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr));
  int bind_errno = errno;
  ::umask(old);
  if (rc != 0) return ErrnoToStatus(bind_errno, absl::StrCat("bind shim socket ", options.socket_path));
  if (::listen(listen_fd, 16) != 0) return ErrnoToStatus(errno, absl::StrCat("listen on ", options.socket_path));
  return absl::OkStatus();
}

absl::Status ShimServer::Impl::CreateContainer() {
  std::string pid_file = options.bundle + "/init.pid";
  if (options.tty) return CreateTtyContainer(pid_file);
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return ErrnoToStatus(errno, "create stdout pipe");
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    int e = errno;
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return ErrnoToStatus(e, "create stderr pipe");
  }
  out.fd = out_pipe[0];
  err.fd = err_pipe[0];
  out.splitter = std::make_unique<CriLineSplitter>(log.get(), LogStream::kStdout);
  err.splitter = std::make_unique<CriLineSplitter>(log.get(), LogStream::kStderr);
  RuncStdio stdio;
  stdio.out = out_pipe[1];
  stdio.err = err_pipe[1];
  int in_pipe[2] = {-1, -1};
  if (options.open_stdin) {
    if (::pipe2(in_pipe, O_CLOEXEC) != 0) {
      int e = errno;
      for (int f : {out_pipe[1], err_pipe[1]}) ::close(f);
      return ErrnoToStatus(e, "create stdin pipe");
    }
    stdio.in = in_pipe[0];
    stdin_w = in_pipe[1];
  }
  absl::Status s = runc.Create(options.id, options.bundle, pid_file, "", stdio);
  // Only the container keeps the write ends, so EOF means it is gone.
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (in_pipe[0] >= 0) ::close(in_pipe[0]);
  if (!s.ok()) return s;
  SILO_RETURN_IF_ERROR(ReadPidAndStart(pid_file));
  for (int fd : {out.fd, err.fd}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return absl::OkStatus();
}

absl::Status ShimServer::Impl::CreateTtyContainer(const std::string& pid_file) {
  // runc gives the process the pty's other end for all three stdio; its own
  // stdio (here /dev/null) reach nothing in the container.
  ConsoleSocket console_socket;
  SILO_RETURN_IF_ERROR(console_socket.Open());
  SILO_RETURN_IF_ERROR(runc.Create(options.id, options.bundle, pid_file, console_socket.path(), RuncStdio{}));
  absl::StatusOr<int> master = console_socket.ReceiveMaster();
  if (!master.ok()) {
    (void)runc.Delete(options.id, /*force=*/true);
    return master.status();
  }
  out.fd = *master;
  out.splitter = std::make_unique<CriLineSplitter>(log.get(), LogStream::kStdout);
  console = ::fcntl(out.fd, F_DUPFD_CLOEXEC, 0);
  if (options.open_stdin && console >= 0) stdin_w = ::fcntl(out.fd, F_DUPFD_CLOEXEC, 0);
  if (console < 0 || (options.open_stdin && stdin_w < 0)) {
    absl::Status e = ErrnoToStatus(errno, "duplicate the terminal");
    (void)runc.Delete(options.id, /*force=*/true);
    return e;
  }
  SILO_RETURN_IF_ERROR(ReadPidAndStart(pid_file));
  ::fcntl(out.fd, F_SETFL, ::fcntl(out.fd, F_GETFL) | O_NONBLOCK);
  return absl::OkStatus();
}

absl::Status ShimServer::Impl::ReadPidAndStart(const std::string& pid_file) {
  auto text = ReadFile(pid_file);
  if (!text.ok() || !absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &init_pid) || init_pid <= 0) {
    (void)runc.Delete(options.id, /*force=*/true);
    return absl::InternalError(absl::StrCat("container ", options.id, ": unreadable pid file ", pid_file));
  }
  if (!options.create_only) {
    absl::Status s = runc.Start(options.id);
    if (!s.ok()) {
      (void)runc.Delete(options.id, /*force=*/true);
      return s;
    }
    started = true;
  }
  return absl::OkStatus();
}

absl::Status ShimServer::Start() {
  Impl& s = *impl_;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return ErrnoToStatus(errno, "block SIGCHLD");
  ::signal(SIGPIPE, SIG_IGN);
  s.signal_fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (s.signal_fd < 0) return ErrnoToStatus(errno, "signalfd");
  auto log = CriLogWriter::Open(s.options.log_path);
  if (!log.ok()) return log.status();
  s.log = std::move(*log);
  SILO_RETURN_IF_ERROR(s.Bind());
  absl::Status created = s.CreateContainer();
  if (!created.ok()) {
    ::unlink(s.options.socket_path.c_str());
    return created;
  }
  return absl::OkStatus();
}

void ShimServer::Impl::OnSignal() {
  struct signalfd_siginfo info;
  while (::read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
    if (info.ssi_signo == SIGTERM && recorded) shutting_down = true;
  }
  // Reap everything: the init, and orphans re-parented to us as subreaper.
  while (true) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    for (auto& e : execs) {
      if (e->pid == pid && !e->reaped) {
        e->reaped = true;
        e->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        e->reaped_at = std::chrono::steady_clock::now();
      }
    }
    if (pid == init_pid && !exited) {
      exited = true;
      exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      exited_at = NowUnixNanos();
      exited_steady = std::chrono::steady_clock::now();
    }
  }
}

void ShimServer::Impl::CloseStream(Stream& s) {
  (void)s.splitter->Finish();
  ::close(s.fd);
  s.fd = -1;
}

void ShimServer::Impl::OnOutput(Stream& s) {
  char buf[64 * 1024];
  while (true) {
    ssize_t n = ::read(s.fd, buf, sizeof(buf));
    if (n > 0) {
      // A failed log write must not stop draining the container's output.
      (void)s.splitter->Feed(absl::string_view(buf, static_cast<size_t>(n)));
      if (!attachers.empty()) FanOut(&s == &out, absl::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    CloseStream(s);
    return;
  }
}

void ShimServer::Impl::MaybeRecordExit(bool force) {
  if (!exited || recorded) return;
  if (!force && (out.fd >= 0 || err.fd >= 0)) return;
  if (out.fd >= 0) CloseStream(out);
  if (err.fd >= 0) CloseStream(err);
  CloseAttachers();  // attached clients see EOF once all output is copied
  // Durable before anyone hears about it: silod may restart right after.
  absl::Status s = AtomicWriteFile(options.exit_file, FormatExitFile(exit_code, exited_at));
  recorded = true;
  Response r = StateResponse();
  if (!s.ok()) r = ErrorResponse(Annotate(s, "record exit"));
  std::vector<int> waiters;
  for (auto& [fd, c] : clients) {
    if (c.waiting) waiters.push_back(fd);
  }
  for (int fd : waiters) {
    clients[fd].waiting = false;
    Reply(fd, r);
  }
}

Response ShimServer::Impl::StateResponse() const {
  Response r;
  r.pid = init_pid;
  r.state = recorded ? "stopped" : (started ? "running" : "created");
  if (recorded) {
    r.exited = true;
    r.exit_code = exit_code;
    r.exited_at_unix_nanos = exited_at;
  }
  return r;
}

void ShimServer::Impl::Reply(int fd, const Response& response) {
  // Responses are small; a client that does not read them is dropped.
  absl::Status s = WriteFrame(fd, EncodeResponse(response),
                              std::chrono::steady_clock::now() + std::chrono::seconds(1));
  if (!s.ok()) DropClient(fd);
}

void ShimServer::Impl::DropClient(int fd) {
  if (clients.erase(fd) == 0) return;
  ::close(fd);
  for (auto& e : execs) {
    if (e->client_fd == fd) e->client_fd = -1;
  }
}

void ShimServer::Impl::StartExec(int fd, Client& client, const Request& request) {
  if (!started || exited) {
    return Reply(fd, ErrorResponse(absl::FailedPreconditionError(
                         absl::StrCat("container ", options.id, " is not running"))));
  }
  auto config = ReadFile(options.bundle + "/config.json");
  if (!config.ok()) return Reply(fd, ErrorResponse(config.status()));
  auto process = BuildExecProcessJson(*config, request);
  if (!process.ok()) return Reply(fd, ErrorResponse(process.status()));
  std::string base = absl::StrCat(options.bundle, "/exec-", ++exec_seq);
  if (request.stream) return StartStreamingExec(fd, client, request, base, *process);
  absl::Status s = AtomicWriteFile(base + ".json", *process);
  if (!s.ok()) return Reply(fd, ErrorResponse(s));

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return Reply(fd, ErrorResponse(ErrnoToStatus(errno, "exec pipe")));
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    absl::Status e = ErrnoToStatus(errno, "exec pipe");
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return Reply(fd, ErrorResponse(e));
  }
  RuncStdio stdio;
  stdio.out = out_pipe[1];
  stdio.err = err_pipe[1];
  s = runc.Exec(options.id, base + ".json", base + ".pid", stdio);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  auto session = std::make_unique<ExecSession>();
  session->out_fd = out_pipe[0];
  session->err_fd = err_pipe[0];
  if (s.ok()) {
    auto pid_text = ReadFile(base + ".pid");
    if (!pid_text.ok() || !absl::SimpleAtoi(absl::StripAsciiWhitespace(*pid_text), &session->pid)) {
      s = absl::InternalError(absl::StrCat("exec in ", options.id, ": unreadable pid file ", base, ".pid"));
    }
  }
  ::unlink((base + ".json").c_str());
  ::unlink((base + ".pid").c_str());
  if (!s.ok()) return Reply(fd, ErrorResponse(s));  // ~ExecSession closes the pipes
  for (int p : {session->out_fd, session->err_fd}) ::fcntl(p, F_SETFL, ::fcntl(p, F_GETFL) | O_NONBLOCK);
  if (request.timeout_ms > 0) {
    session->deadline = SaturatingAdd(std::chrono::steady_clock::now(), std::chrono::milliseconds(request.timeout_ms));
  }
  session->client_fd = fd;
  client.in_exec = true;
  execs.push_back(std::move(session));
}

void ShimServer::Impl::StartStreamingExec(int fd, Client& client, const Request& request,
                                          const std::string& scratch, const std::string& process_json) {
  auto started_exec = StartStreamExec(runc, options.id, scratch, process_json, request.tty, request.stdin);
  if (!started_exec.ok()) return Reply(fd, ErrorResponse(started_exec.status()));
  Response r;
  r.pid = started_exec->pid;
  absl::Status s = WriteFrameWithFds(fd, EncodeResponse(r), started_exec->fds,
                                     std::chrono::steady_clock::now() + std::chrono::seconds(1));
  for (int f : started_exec->fds) ::close(f);
  // Reaped like any exec; with no pipes here it is answered right at exit.
  auto session = std::make_unique<ExecSession>();
  session->pid = started_exec->pid;
  if (!s.ok()) {
    DropClient(fd);
  } else {
    session->client_fd = fd;
    client.in_exec = true;
  }
  execs.push_back(std::move(session));
}

int ShimServer::Impl::ServiceExecs() {
  auto now = std::chrono::steady_clock::now();
  auto next = std::chrono::steady_clock::time_point::max();
  for (auto it = execs.begin(); it != execs.end();) {
    ExecSession& e = **it;
    if (!e.reaped && !e.timed_out && now >= e.deadline) {
      ::kill(e.pid, SIGKILL);  // reaped by OnSignal like any child
      e.timed_out = true;
    }
    if (!e.reaped || (!e.drained() && now < e.reaped_at + kDrainGrace)) {
      if (!e.reaped && !e.timed_out) next = std::min(next, e.deadline);
      if (e.reaped) next = std::min(next, e.reaped_at + kDrainGrace);
      ++it;
      continue;
    }
    e.CloseAll();
    if (e.client_fd >= 0 && clients.count(e.client_fd)) {
      clients[e.client_fd].in_exec = false;
      if (e.timed_out) {
        Reply(e.client_fd, ErrorResponse(absl::DeadlineExceededError(
                               absl::StrCat("exec in container ", options.id, " timed out"))));
      } else {
        Response r;
        r.exit_code = e.exit_code;
        r.exited = true;
        r.stdout_data = std::move(e.out);
        r.stderr_data = std::move(e.err);
        Reply(e.client_fd, r);
      }
    }
    it = execs.erase(it);
  }
  if (next == std::chrono::steady_clock::time_point::max()) return -1;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(next - now).count();
  return left < 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 1000000));
}

void ShimServer::Impl::Handle(int fd, Client& client, const Request& request) {
  switch (request.op) {
    case Op::kState:
      return Reply(fd, StateResponse());
    case Op::kWait:
      if (recorded) return Reply(fd, StateResponse());
      client.waiting = true;
      return;
    case Op::kStart: {
      if (started || exited) {
        return Reply(fd, ErrorResponse(absl::FailedPreconditionError(
                             absl::StrCat("container ", options.id, " was already started"))));
      }
      absl::Status s = runc.Start(options.id);
      if (s.ok()) started = true;
      return Reply(fd, s.ok() ? Response{} : ErrorResponse(s));
    }
    case Op::kKill: {
      if (exited) {
        return Reply(fd, ErrorResponse(absl::FailedPreconditionError(
                             absl::StrCat("container ", options.id, " is not running"))));
      }
      absl::Status s = runc.Kill(options.id, request.signal, request.all);
      return Reply(fd, s.ok() ? Response{} : ErrorResponse(s));
    }
    case Op::kReopenLog: {
      if (exited) {
        return Reply(fd, ErrorResponse(absl::FailedPreconditionError(
                             absl::StrCat("container ", options.id, " is not running"))));
      }
      absl::Status s = log->Reopen();
      return Reply(fd, s.ok() ? Response{} : ErrorResponse(s));
    }
    case Op::kShutdown: {
      if (!recorded) {
        return Reply(fd, ErrorResponse(absl::FailedPreconditionError(
                             absl::StrCat("container ", options.id, " is still running"))));
      }
      absl::Status s = runc.Delete(options.id, /*force=*/true);
      Reply(fd, s.ok() ? Response{} : ErrorResponse(s));
      if (s.ok()) shutting_down = true;
      return;
    }
    case Op::kExec:
      return StartExec(fd, client, request);
    case Op::kAttach:
      return Attach(fd);
    case Op::kCloseStdin:
      if (stdin_w >= 0) {
        // A terminal has no end of input to close: it reads ^D as EOF (in
        // canonical mode, as shells and `cat` run).
        if (options.tty) (void)!::write(stdin_w, "\x04", 1);
        ::close(stdin_w);
        stdin_w = -1;
      }
      return Reply(fd, Response{});
    case Op::kResize:
      return Reply(fd, ErrorResponse(absl::UnimplementedError(
                           absl::StrCat("shim op ", OpName(request.op), " is not implemented yet"))));
  }
}

void ShimServer::Impl::Attach(int fd) {
  if (recorded || exited) {
    return Reply(fd, ErrorResponse(absl::FailedPreconditionError(
                         absl::StrCat("container ", options.id, " has exited: nothing to attach to"))));
  }
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return Reply(fd, ErrorResponse(ErrnoToStatus(errno, "attach pipe")));
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    absl::Status e = ErrnoToStatus(errno, "attach pipe");
    for (int f : {out_pipe[0], out_pipe[1]}) ::close(f);
    return Reply(fd, ErrorResponse(e));
  }
  for (int w : {out_pipe[1], err_pipe[1]}) {
    ::fcntl(w, F_SETFL, ::fcntl(w, F_GETFL) | O_NONBLOCK);
    ::fcntl(w, F_SETPIPE_SZ, 1 << 20);  // room for bursts; beyond it the attacher is cut off
  }
  std::vector<int> passed = {out_pipe[0], err_pipe[0]};
  // A terminal's master goes even without stdin: the caller resizes through it.
  if (options.tty && console >= 0) {
    passed.push_back(console);
  } else if (stdin_w >= 0) {
    passed.push_back(stdin_w);
  }
  Response ok;
  ok.pid = init_pid;
  absl::Status sent = WriteFrameWithFds(fd, EncodeResponse(ok), passed);
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  if (!sent.ok()) {
    for (int f : {out_pipe[1], err_pipe[1]}) ::close(f);
    return DropClient(fd);
  }
  attachers.push_back({out_pipe[1], err_pipe[1]});
}

void ShimServer::Impl::FanOut(bool is_stdout, absl::string_view data) {
  for (auto it = attachers.begin(); it != attachers.end();) {
    int w = is_stdout ? it->out : it->err;
    ssize_t n = ::write(w, data.data(), data.size());
    if (n == static_cast<ssize_t>(data.size())) {
      ++it;
      continue;
    }
    // Gone (EPIPE) or too slow (EAGAIN, partial): cut this attacher off.
    for (int f : {it->out, it->err}) ::close(f);
    it = attachers.erase(it);
  }
}

void ShimServer::Impl::CloseAttachers() {
  for (const Attacher& a : attachers) {
    for (int f : {a.out, a.err}) {
      if (f >= 0) ::close(f);
    }
  }
  attachers.clear();
}

void ShimServer::Impl::OnClientReadable(int fd) {
  char buf[16 * 1024];
  ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) return DropClient(fd);
  Client& client = clients[fd];
  if (!client.decoder.Append(absl::string_view(buf, static_cast<size_t>(n))).ok()) {
    Reply(fd, ErrorResponse(absl::InvalidArgumentError("oversized shim frame")));
    return DropClient(fd);
  }
  while (clients.count(fd) && !clients[fd].waiting && !clients[fd].in_exec) {
    auto frame = clients[fd].decoder.Next();
    if (!frame) break;
    auto request = DecodeRequest(*frame);
    if (!request.ok()) {
      Reply(fd, ErrorResponse(request.status()));
      continue;
    }
    Handle(fd, clients[fd], *request);
  }
}

absl::Status ShimServer::Run() {
  Impl& s = *impl_;
  while (!s.shutting_down) {
    std::vector<struct pollfd> fds = {{s.signal_fd, POLLIN, 0}, {s.listen_fd, POLLIN, 0}};
    if (s.out.fd >= 0) fds.push_back({s.out.fd, POLLIN, 0});
    if (s.err.fd >= 0) fds.push_back({s.err.fd, POLLIN, 0});
    for (auto& [fd, c] : s.clients) {
      // A waiting client sends nothing more; watch it only for hang-up.
      fds.push_back({fd, static_cast<short>(c.waiting || c.in_exec ? POLLRDHUP : POLLIN), 0});
    }
    for (auto& e : s.execs) {
      if (e->out_fd >= 0) fds.push_back({e->out_fd, POLLIN, 0});
      if (e->err_fd >= 0) fds.push_back({e->err_fd, POLLIN, 0});
    }
    int exec_timeout = s.ServiceExecs();
    int timeout = -1;
    if (s.exited && !s.recorded) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(s.exited_steady + kDrainGrace -
                                                               std::chrono::steady_clock::now());
      timeout = left.count() < 0 ? 0 : static_cast<int>(left.count());
    }
    if (exec_timeout >= 0 && (timeout < 0 || exec_timeout < timeout)) timeout = exec_timeout;
    int n = ::poll(fds.data(), fds.size(), timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "shim poll");
    }
    for (const struct pollfd& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == s.signal_fd) {
        s.OnSignal();
      } else if (p.fd == s.listen_fd) {
        int c = ::accept4(s.listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (c >= 0) s.clients.try_emplace(c);
      } else if (p.fd == s.out.fd) {
        s.OnOutput(s.out);
      } else if (p.fd == s.err.fd) {
        s.OnOutput(s.err);
      } else if (s.clients.count(p.fd)) {
        if (s.clients[p.fd].waiting || s.clients[p.fd].in_exec) {
          s.DropClient(p.fd);
        } else {
          s.OnClientReadable(p.fd);
        }
      } else {
        for (auto& e : s.execs) {
          if (p.fd == e->out_fd || p.fd == e->err_fd) e->Drain(p.fd);
        }
      }
    }
    bool grace_over = s.exited && std::chrono::steady_clock::now() >= s.exited_steady + kDrainGrace;
    s.MaybeRecordExit(grace_over);
    s.ServiceExecs();
  }
  ::unlink(s.options.socket_path.c_str());
  return absl::OkStatus();
}

}  // namespace silo::runtime::shim
