#include "cri/streaming/testing/host_process_runtime.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"
#include "runtime/base/mutex.h"

namespace silo::cri::streaming::testing {
namespace {

bool WriteAllFd(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(size_t(n));
  }
  return true;
}

// Copies fd -> out until EOF (or EIO, which a pty master reports once the
// slave side is gone). Closes `fd` when the client stops reading, so the
// process sees a broken pipe rather than blocking forever.
void PumpOut(int fd, OutputStream* out) {
  char buf[16 * 1024];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (!out->Write(std::string_view(buf, size_t(n)))) break;
  }
  ::close(fd);
}

void ApplySize(int pty_fd, TerminalSize s) {
  winsize ws{};
  ws.ws_col = s.width;
  ws.ws_row = s.height;
  ::ioctl(pty_fd, TIOCSWINSZ, &ws);
}

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

void HostProcessRuntime::SetAttachCommand(const std::string& container_id,
                                          std::vector<std::string> cmd) {
  silo::MutexLock lock(&mu_);
  attach_cmds_[container_id] = std::move(cmd);
}

absl::StatusOr<int> HostProcessRuntime::Attach(const std::string& container_id,
                                               const ExecStreams& streams) {
  std::vector<std::string> cmd;
  {
    silo::MutexLock lock(&mu_);
    auto it = attach_cmds_.find(container_id);
    if (it == attach_cmds_.end()) {
      return absl::NotFoundError(absl::StrCat("container ", container_id, " not found"));
    }
    cmd = it->second;
  }
  return Exec(container_id, cmd, streams);
}

absl::StatusOr<int> HostProcessRuntime::Exec(const std::string& container_id,
                                             const std::vector<std::string>& cmd,
                                             const ExecStreams& streams) {
  if (cmd.empty()) return absl::InvalidArgumentError("exec: empty command");
  std::vector<char*> argv;
  for (const std::string& a : cmd) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  // Child-side and parent-side descriptors.
  int in_r = -1, in_w = -1, out_r = -1, out_w = -1, err_r = -1, err_w = -1, master = -1, slave = -1;
  auto pipe2_or = [](int* r, int* w) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return false;
    *r = p[0];
    *w = p[1];
    return true;
  };
  if (streams.tty) {
    if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) {
      return ErrnoToStatus(errno, "exec: openpty");
    }
    ::fcntl(master, F_SETFD, FD_CLOEXEC);
    ::fcntl(slave, F_SETFD, FD_CLOEXEC);
    // Apply sizes the client sent before the process started.
    while (streams.resize) {
      auto s = streams.resize->TryNext();
      if (!s) break;
      ApplySize(master, *s);
    }
  } else {
    if ((streams.stdin && !pipe2_or(&in_r, &in_w)) || !pipe2_or(&out_r, &out_w) ||
        !pipe2_or(&err_r, &err_w)) {
      return ErrnoToStatus(errno, "exec: pipe");
    }
  }
  int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);

  pid_t pid = ::fork();
  if (pid < 0) return ErrnoToStatus(errno, "exec: fork");
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    if (streams.tty) {
      ::setsid();
      ::ioctl(slave, TIOCSCTTY, 0);
      ::dup2(slave, 0);
      ::dup2(slave, 1);
      ::dup2(slave, 2);
    } else {
      ::dup2(streams.stdin ? in_r : devnull, 0);
      ::dup2(out_w, 1);
      ::dup2(err_w, 2);
    }
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(devnull);

  std::vector<std::thread> pumps;
  int stdin_fd;
  if (streams.tty) {
    ::close(slave);
    int out_fd = ::dup(master);
    stdin_fd = master;
    if (streams.stdout) {
      pumps.emplace_back(PumpOut, out_fd, streams.stdout);
    } else {
      ::close(out_fd);
    }
  } else {
    ::close(in_r);
    ::close(out_w);
    ::close(err_w);
    stdin_fd = in_w;
    if (streams.stdout) {
      pumps.emplace_back(PumpOut, out_r, streams.stdout);
    } else {
      ::close(out_r);
    }
    if (streams.stderr) {
      pumps.emplace_back(PumpOut, err_r, streams.stderr);
    } else {
      ::close(err_r);
    }
  }

  // Sizes are popped and applied under one lock, so once the stdin pump has
  // applied what is queued no resize can be half-done behind its back.
  silo::Mutex size_mu;
  auto apply_queued = [&streams, master, &size_mu] {
    silo::MutexLock lock(&size_mu);
    while (auto s = streams.resize->TryNext()) ApplySize(master, *s);
  };
  std::thread stdin_pump;
  if (streams.stdin) {
    stdin_pump = std::thread([&streams, stdin_fd, tty = streams.tty, &apply_queued] {
      while (auto data = streams.stdin->Read()) {
        // Resizes queued before this input happened before it on the wire.
        if (tty && streams.resize) apply_queued();
        if (!WriteAllFd(stdin_fd, *data)) break;
      }
      // EOF: a pipe is closed; a terminal gets ^D instead, since closing the
      // master would hang up the whole session.
      if (tty) {
        WriteAllFd(stdin_fd, "\x04");
      } else {
        ::close(stdin_fd);
      }
    });
  }
  std::thread resize_pump;
  if (streams.tty && streams.resize) {
    resize_pump = std::thread([&streams, &apply_queued] {
      while (streams.resize->Wait()) apply_queued();
    });
  }

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  for (std::thread& t : pumps) t.join();
  if (streams.stdin) {
    streams.stdin->Close();  // wakes the stdin pump if the client never sent EOF
    stdin_pump.join();
  }
  if (streams.resize) streams.resize->Close();
  if (resize_pump.joinable()) resize_pump.join();
  if (streams.tty) ::close(master);
  return ExitCode(status);
}

absl::Status HostProcessRuntime::PortForward(const std::string& pod_sandbox_id, int32_t port,
                                             ByteQueue* in, OutputStream* out) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoToStatus(errno, "portforward: socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    absl::Status st = ErrnoToStatus(errno, absl::StrCat("portforward: dial 127.0.0.1:", port));
    ::close(fd);
    return st;
  }
  std::thread down([fd, in, out] {
    char buf[16 * 1024];
    while (true) {
      pollfd p{fd, POLLIN, 0};
      int ready = ::poll(&p, 1, 200);
      if (ready == 0) {
        if (in->abandoned()) break;
        continue;
      }
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (!out->Write(std::string_view(buf, size_t(n)))) break;
    }
    // Either direction ending for good ends the upload too.
    ::shutdown(fd, SHUT_RD);
  });
  while (auto data = in->Read()) {
    if (!WriteAllFd(fd, *data)) break;
  }
  ::shutdown(fd, SHUT_WR);
  down.join();
  ::close(fd);
  return absl::OkStatus();
}

}  // namespace silo::cri::streaming::testing
