// PluginExec on Linux: posix_spawn with close-on-exec pipes, the child in its
// own process group so a timeout can kill everything the plugin started, and
// a pidfd so the wait honours the deadline even if stdio stays open.

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <set>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "network/cni/plugin_exec.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"

extern char** environ;

namespace silo::network::cni {
namespace {

// A plugin that prints more than this is broken; stop it rather than grow.
constexpr size_t kMaxOutputBytes = 16 << 20;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

absl::Status MakePipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoToStatus(errno, "pipe2");
  read_end.Reset(fds[0]);
  write_end.Reset(fds[1]);
  return absl::OkStatus();
}

// Writing to a pipe whose reader has gone raises SIGPIPE in the writing
// thread. Block it for this thread while we feed stdin and swallow a SIGPIPE
// we caused, so a plugin that ignores its stdin cannot kill the daemon.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask_);
  }
  ~ScopedSigpipeBlock() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      sigset_t pipe_set;
      sigemptyset(&pipe_set);
      sigaddset(&pipe_set, SIGPIPE);
      struct timespec zero = {0, 0};
      while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }

 private:
  sigset_t old_mask_;
  bool was_pending_ = false;
};

std::vector<std::string> BuildEnv(const ExecRequest& req) {
  std::set<std::string> overridden;
  for (const auto& kv : req.env) overridden.insert(kv.first);
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const char* eq = std::strchr(*e, '=');
    std::string name = eq ? std::string(*e, eq - *e) : std::string(*e);
    if (!overridden.count(name)) env.emplace_back(*e);
  }
  for (const auto& [k, v] : req.env) env.push_back(absl::StrCat(k, "=", v));
  return env;
}

class LinuxPluginExec final : public PluginExec {
 public:
  absl::StatusOr<ExecOutput> Run(const ExecRequest& req) override;
};

absl::StatusOr<ExecOutput> LinuxPluginExec::Run(const ExecRequest& req) {
  Fd in_r, in_w, out_r, out_w, err_r, err_w;
  SILO_RETURN_IF_ERROR(MakePipe(in_r, in_w));
  SILO_RETURN_IF_ERROR(MakePipe(out_r, out_w));
  SILO_RETURN_IF_ERROR(MakePipe(err_r, err_w));

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_r.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.get(), 2);
  // Descriptors the daemon's libraries opened without O_CLOEXEC stay out too.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> env = BuildEnv(req);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string arg0 = req.path;
  char* argv[] = {arg0.data(), nullptr};

  pid_t pid = -1;
  int rc = posix_spawn(&pid, req.path.c_str(), &actions, &attr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return ErrnoToStatus(rc, absl::StrCat("spawn ", req.path));

  // Our copies of the child's ends must go, or EOF never arrives.
  in_r.Reset();
  out_w.Reset();
  err_w.Reset();

  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  bool exited = false;
  // Once reaped, the pid may belong to someone else: only the group (which
  // the kernel keeps while members live) is signalled then.
  auto kill_group = [pid, &exited] {
    ::kill(-pid, SIGKILL);
    if (!exited) ::kill(pid, SIGKILL);
  };
  if (pidfd.get() < 0) {
    absl::Status s = ErrnoToStatus(errno, absl::StrCat("pidfd_open for ", req.path));
    kill_group();
    ::waitpid(pid, nullptr, 0);
    return s;
  }
  for (Fd* fd : {&in_w, &out_r, &err_r}) ::fcntl(fd->get(), F_SETFL, O_NONBLOCK);

  ExecOutput out;
  ScopedSigpipeBlock sigpipe_block;
  size_t written = 0;
  if (req.stdin_data.empty()) in_w.Reset();
  int wait_status = 0;
  const auto deadline = std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(req.timeout);
  absl::Status failure;

  while (!exited || out_r.get() >= 0 || err_r.get() >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      failure = absl::DeadlineExceededError(absl::StrCat("plugin ", req.path, " did not finish within ",
                                                         absl::FormatDuration(req.timeout), "; killed"));
      break;
    }
    struct pollfd pfds[4];
    int n = 0;
    int in_idx = -1, out_idx = -1, err_idx = -1, pid_idx = -1;
    if (in_w.get() >= 0) pfds[in_idx = n++] = {in_w.get(), POLLOUT, 0};
    if (out_r.get() >= 0) pfds[out_idx = n++] = {out_r.get(), POLLIN, 0};
    if (err_r.get() >= 0) pfds[err_idx = n++] = {err_r.get(), POLLIN, 0};
    if (!exited) pfds[pid_idx = n++] = {pidfd.get(), POLLIN, 0};
    int ready = ::poll(pfds, n, static_cast<int>(std::min<int64_t>(left.count() + 1, 1 << 30)));
    if (ready < 0) {
      if (errno == EINTR) continue;
      failure = ErrnoToStatus(errno, "poll plugin stdio");
      break;
    }
    if (in_idx >= 0 && pfds[in_idx].revents != 0) {
      ssize_t w = ::write(in_w.get(), req.stdin_data.data() + written, req.stdin_data.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      // A plugin may exit without reading its config; that is its business.
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == req.stdin_data.size()) in_w.Reset();
    }
    for (auto [idx, fd, sink] : {std::tuple{out_idx, &out_r, &out.stdout_data},
                                 std::tuple{err_idx, &err_r, &out.stderr_data}}) {
      if (idx < 0 || pfds[idx].revents == 0) continue;
      char buf[16384];
      ssize_t r = ::read(fd->get(), buf, sizeof(buf));
      if (r > 0) {
        sink->append(buf, static_cast<size_t>(r));
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        fd->Reset();
      }
    }
    if (out.stdout_data.size() + out.stderr_data.size() > kMaxOutputBytes) {
      failure = absl::ResourceExhaustedError(
          absl::StrCat("plugin ", req.path, " wrote more than ", kMaxOutputBytes, " bytes; killed"));
      break;
    }
    if (pid_idx >= 0 && pfds[pid_idx].revents != 0) {
      while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
      }
      exited = true;
    }
  }

  if (!failure.ok()) {
    // Kill the whole group: a plugin that hangs may have started helpers.
    kill_group();
    if (!exited) {
      while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
      }
    }
    return failure;
  }
  if (WIFEXITED(wait_status)) {
    out.exit_code = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    out.term_signal = WTERMSIG(wait_status);
  }
  return out;
}

}  // namespace

std::unique_ptr<PluginExec> NewPluginExec() { return std::make_unique<LinuxPluginExec>(); }

const char* PathListSeparator() { return ":"; }

bool IsPluginFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

absl::StatusOr<std::string> FindPluginBinary(const std::vector<std::string>& bin_dirs, const std::string& type) {
  if (type.empty() || type.find('/') != std::string::npos || type == "." || type == "..") {
    return absl::InvalidArgumentError(absl::StrCat("CNI plugin type \"", type, "\" must be a plain file name"));
  }
  for (const auto& dir : bin_dirs) {
    std::string path = absl::StrCat(dir, "/", type);
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return absl::NotFoundError(
      absl::StrCat("CNI plugin \"", type, "\" not found in ", absl::StrJoin(bin_dirs, ", ")));
}

}  // namespace silo::network::cni
