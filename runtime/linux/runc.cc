#include "runtime/linux/runc.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"
#include "runtime/base/cleanup.h"
#include "runtime/base/failpoint.h"
#include "runtime/base/file_util.h"

extern char** environ;

namespace silo::runtime::linux_backend {
namespace {

// The "msg" of every error-level line of runc's JSON log.
std::string ErrorsFromLog(const std::string& log) {
  std::vector<std::string> msgs;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    try {
      auto j = nlohmann::json::parse(line.begin(), line.end());
      std::string level = j.value("level", "");
      if (level == "error" || level == "fatal") msgs.push_back(j.value("msg", ""));
    } catch (const std::exception&) {
      msgs.emplace_back(line);
    }
  }
  return absl::StrJoin(msgs, "; ");
}

// Reads both pipes to EOF (either may be -1).
void Drain(int out_fd, int err_fd, std::string* out, std::string* err) {
  struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {out, err};
  char buf[8192];
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      for (auto& p : fds) {
        if (p.fd >= 0) ::close(p.fd);
      }
      return;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
      } else {
        sinks[i]->append(buf, static_cast<size_t>(n));
      }
    }
  }
}

}  // namespace

absl::StatusOr<Runc::Result> Runc::Run(const std::vector<std::string>& args, const RuncStdio* stdio) const {
  char log_tmpl[] = "/tmp/silo-runc-log-XXXXXX";
  int log_fd = ::mkstemp(log_tmpl);
  if (log_fd < 0) return ErrnoToStatus(errno, "create runc log file");
  ::close(log_fd);
  std::string log_path = log_tmpl;
  CleanupStack cleanup;
  cleanup.Push("remove runc log", [log_path] {
    ::unlink(log_path.c_str());
    return absl::OkStatus();
  });

  std::vector<std::string> argv = {binary_, "--root", root_, "--log", log_path, "--log-format", "json"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);

  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd < 0) return ErrnoToStatus(errno, "open /dev/null");
  cleanup.Push("close /dev/null", [null_fd] {
    ::close(null_fd);
    return absl::OkStatus();
  });
  // Capture stdout/stderr only when the caller did not route them elsewhere.
  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  bool capture = stdio == nullptr;
  if (capture && (::pipe2(out_pipe, O_CLOEXEC) < 0 || ::pipe2(err_pipe, O_CLOEXEC) < 0)) {
    int err = errno;
    for (int fd : {out_pipe[0], out_pipe[1]}) if (fd >= 0) ::close(fd);
    return ErrnoToStatus(err, "create runc output pipes");
  }
  int child_in = stdio && stdio->in >= 0 ? stdio->in : null_fd;
  int child_out = capture ? out_pipe[1] : (stdio->out >= 0 ? stdio->out : null_fd);
  int child_err = capture ? err_pipe[1] : (stdio->err >= 0 ? stdio->err : null_fd);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, child_in, 0);
  posix_spawn_file_actions_adddup2(&actions, child_out, 1);
  posix_spawn_file_actions_adddup2(&actions, child_err, 2);
  // The caller (the shim) may block or ignore signals; the container's
  // process must not inherit that, so reset the mask and dispositions.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty, all;
  sigemptyset(&empty);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, binary_.c_str(), &actions, &attr, cargv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (capture) {
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
  }
  if (rc != 0) {
    if (capture) {
      ::close(out_pipe[0]);
      ::close(err_pipe[0]);
    }
    return ErrnoToStatus(rc, absl::StrCat("spawn ", binary_));
  }

  Result result;
  std::string err_text;
  if (capture) Drain(out_pipe[0], err_pipe[0], &result.out, &err_text);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return ErrnoToStatus(errno, absl::StrCat("wait for ", binary_));
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (result.exit_code != 0) {
    auto log = ReadFile(log_path);
    result.error = log.ok() ? ErrorsFromLog(*log) : "";
    if (result.error.empty()) result.error = std::string(absl::StripAsciiWhitespace(err_text));
  }
  return result;
}

absl::Status Runc::Check(const std::vector<std::string>& args, const std::string& id, const RuncStdio* stdio) const {
  auto r = Run(args, stdio);
  if (!r.ok()) return r.status();
  if (r->exit_code == 0) return absl::OkStatus();
  std::string msg = absl::StrCat(binary_, " ", args[0], " ", id, " failed (exit ", r->exit_code, "): ", r->error);
  if (absl::StrContains(r->error, "does not exist")) return absl::NotFoundError(msg);
  if (absl::StrContains(r->error, "already exists")) return absl::AlreadyExistsError(msg);
  return absl::InternalError(msg);
}

absl::Status Runc::Create(const std::string& id, const std::string& bundle, const std::string& pid_file,
                          const std::string& console_socket, const RuncStdio& stdio) const {
  SILO_FAILPOINT("runc.create");
  std::vector<std::string> args = {"create", "--bundle", bundle, "--pid-file", pid_file};
  if (!console_socket.empty()) {
    args.push_back("--console-socket");
    args.push_back(console_socket);
  }
  args.push_back(id);
  return Check(args, id, &stdio);
}

absl::Status Runc::Start(const std::string& id) const {
  SILO_FAILPOINT("runc.start");
  return Check({"start", id}, id);
}

absl::StatusOr<RuncState> Runc::State(const std::string& id) const {
  auto r = Run({"state", id}, nullptr);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    std::string msg = absl::StrCat(binary_, " state ", id, " failed (exit ", r->exit_code, "): ", r->error);
    if (absl::StrContains(r->error, "does not exist")) return absl::NotFoundError(msg);
    return absl::InternalError(msg);
  }
  try {
    auto j = nlohmann::json::parse(r->out);
    RuncState s;
    s.id = j.value("id", "");
    s.pid = j.value("pid", 0);
    s.status = j.value("status", "");
    s.bundle = j.value("bundle", "");
    return s;
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(binary_, " state ", id, " printed bad JSON: ", e.what()));
  }
}

absl::Status Runc::Kill(const std::string& id, int signal, bool all) const {
  std::vector<std::string> args = {"kill"};
  if (all) args.push_back("--all");
  args.push_back(id);
  args.push_back(std::to_string(signal));
  return Check(args, id);
}

absl::Status Runc::Delete(const std::string& id, bool force) const {
  std::vector<std::string> args = {"delete"};
  if (force) args.push_back("--force");
  args.push_back(id);
  absl::Status s = Check(args, id);
  if (absl::IsNotFound(s)) return absl::OkStatus();
  return s;
}

absl::Status Runc::Exec(const std::string& id, const std::string& process_json, const std::string& pid_file,
                        const RuncStdio& stdio) const {
  return Check({"exec", "--detach", "--process", process_json, "--pid-file", pid_file, id}, id, &stdio);
}

}  // namespace silo::runtime::linux_backend
