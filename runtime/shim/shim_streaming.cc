#include "runtime/shim/shim_streaming.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "runtime/base/mutex.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"
#include "runtime/shim/shim_client.h"
#include "cri/api/cri.h"
#include "runtime/model/container.h"
#include "runtime/shim/stream_exec_client.h"

namespace silo::runtime::shim {
namespace {

using streaming::AttachEnd;
using streaming::ByteQueue;
using streaming::ExecStreams;
using streaming::OutputStream;
using streaming::TerminalSize;

// After the process exits, how long its output may keep flowing (a
// background child can hold the pipes open) before the session ends anyway.
constexpr absl::Duration kDrainGrace = absl::Seconds(2);

// Writes all of `data`, waiting out a full buffer: a TTY container's pty
// master comes from the shim non-blocking (the flag is shared by every
// duplicate of the descriptor).
bool WriteAllFd(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      struct pollfd p = {fd, POLLOUT, 0};
      if (::poll(&p, 1, -1) < 0 && errno != EINTR) return false;
      continue;
    }
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// As WriteAllFd for a socket whose peer may be gone: never raises SIGPIPE.
bool SendAllNoSignal(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void ApplySize(int pty_fd, TerminalSize size) {
  struct winsize ws = {};
  ws.ws_col = size.width;
  ws.ws_row = size.height;
  ::ioctl(pty_fd, TIOCSWINSZ, &ws);
}

// Copies `fd` to `out` until EOF (EIO from a pty master whose process is
// gone), `wake_fd` becoming readable, or the client leaving (`on_gone`).
// Closes `fd`, so the process sees a broken pipe once nobody reads.
void PumpOut(int fd, int wake_fd, OutputStream* out, const std::function<void()>& on_gone) {
  char buf[16 * 1024];
  while (true) {
    struct pollfd p[2] = {{fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[0].revents == 0 && p[1].revents != 0) break;
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (!out->Write(std::string_view(buf, static_cast<size_t>(n)))) {
      on_gone();
      break;
    }
  }
  ::close(fd);
}

}  // namespace

absl::StatusOr<int> ShimProcessStreaming::Exec(const model::ContainerRecord& record,
                                               const std::vector<std::string>& cmd, const ExecStreams& streams) {
  if (cmd.empty()) return absl::InvalidArgumentError("exec: cmd is required");
  SILO_ASSIGN_OR_RETURN(
      std::unique_ptr<StreamExecClient> proc,
      StreamExecClient::Start(record.host_handle, cmd, streams.tty, streams.stdin != nullptr,
                                             std::chrono::steady_clock::now() + std::chrono::seconds(30)));

  int wake_fd = ::eventfd(0, EFD_CLOEXEC);
  if (wake_fd < 0) return ErrnoToStatus(errno, "exec: eventfd");
  std::atomic<bool> client_gone{false};
  auto on_gone = [&client_gone, &proc] {
    client_gone.store(true);
    proc->Abort();  // stop waiting for a process nobody watches any more
  };

  // Output pumps, each with a notification so the drain grace can be bounded.
  struct Pump {
    std::thread thread;
    silo::Notification done;
  };
  std::vector<std::unique_ptr<Pump>> pumps;
  auto start_pump = [&](int fd, OutputStream* out) {
    if (fd < 0) return;
    if (out == nullptr) {
      ::close(fd);
      return;
    }
    auto pump = std::make_unique<Pump>();
    Pump* raw = pump.get();
    pump->thread = std::thread([fd, wake_fd, out, &on_gone, raw] {
      PumpOut(fd, wake_fd, out, on_gone);
      raw->done.Notify();
    });
    pumps.push_back(std::move(pump));
  };

  int stdin_fd = -1;
  int pty = -1;
  if (streams.tty) {
    pty = proc->TakePty();
    if (streams.resize) {
      while (auto s = streams.resize->TryNext()) ApplySize(pty, *s);
    }
    start_pump(::fcntl(pty, F_DUPFD_CLOEXEC, 0), streams.stdout);
    stdin_fd = pty;
  } else {
    stdin_fd = proc->TakeStdin();
    start_pump(proc->TakeStdout(), streams.stdout);
    start_pump(proc->TakeStderr(), streams.stderr);
  }

  silo::Mutex size_mu;  // resizes queued before input are applied before it
  auto apply_queued = [&streams, pty, &size_mu] {
    silo::MutexLock lock(&size_mu);
    while (auto s = streams.resize->TryNext()) ApplySize(pty, *s);
  };
  std::thread stdin_pump;
  if (streams.stdin != nullptr && stdin_fd >= 0) {
    stdin_pump = std::thread([&streams, stdin_fd, tty = streams.tty, &apply_queued, &on_gone] {
      while (auto data = streams.stdin->Read()) {
        if (tty && streams.resize) apply_queued();
        if (!WriteAllFd(stdin_fd, *data)) break;
      }
      if (streams.stdin->abandoned()) on_gone();
      // EOF: a pipe is closed; a terminal gets ^D (closing the master would
      // hang the session up).
      if (tty) {
        WriteAllFd(stdin_fd, "\x04");
      } else {
        ::close(stdin_fd);
      }
    });
  } else if (!streams.tty && stdin_fd >= 0) {
    ::close(stdin_fd);
  }
  std::thread resize_pump;
  if (streams.tty && streams.resize) {
    resize_pump = std::thread([&streams, &apply_queued] {
      while (streams.resize->Wait()) apply_queued();
    });
  }

  absl::StatusOr<int> exit_code = proc->Wait();
  for (auto& p : pumps) p->done.WaitForNotificationWithTimeout(kDrainGrace);
  uint64_t one = 1;
  (void)!::write(wake_fd, &one, sizeof(one));
  for (auto& p : pumps) p->thread.join();
  if (stdin_pump.joinable()) {
    streams.stdin->Close();  // wakes the stdin pump if the client never sent EOF
    stdin_pump.join();
  }
  if (streams.resize) streams.resize->Close();
  if (resize_pump.joinable()) resize_pump.join();
  if (pty >= 0) ::close(pty);
  ::close(wake_fd);
  if (client_gone.load() && !exit_code.ok()) {
    return absl::CancelledError(absl::StrCat("exec in container ", record.id, ": client went away"));
  }
  if (!exit_code.ok()) return Annotate(exit_code.status(), absl::StrCat("exec in container ", record.id));
  return exit_code;
}

absl::StatusOr<AttachEnd> ShimProcessStreaming::Attach(const model::ContainerRecord& record,
                                                       const ExecStreams& streams) {
  const std::string context = absl::StrCat("attach to container ", record.id);
  absl::StatusOr<::runtime::v1::ContainerConfig> config = record.Config();
  const bool stdin_once = config.ok() && config->stdin_once();
  // With a TTY container the shim passes its pty master as `in`: input goes
  // to the terminal and sizes are set on it. Without one there is no
  // terminal to size.
  const bool tty_container = config.ok() && config->tty();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  SILO_ASSIGN_OR_RETURN(std::unique_ptr<ShimClient> shim,
                        ShimClient::Connect(record.host_handle, deadline));
  absl::StatusOr<ShimClient::AttachedStdio> stdio = shim->Attach(deadline);
  if (!stdio.ok()) return Annotate(stdio.status(), context);

  int wake_fd = ::eventfd(0, EFD_CLOEXEC);
  if (wake_fd < 0) {
    for (int f : {stdio->out, stdio->err, stdio->in}) {
      if (f >= 0) ::close(f);
    }
    return ErrnoToStatus(errno, "attach: eventfd");
  }
  auto wake = [wake_fd] {
    uint64_t one = 1;
    (void)!::write(wake_fd, &one, sizeof(one));
  };
  std::atomic<bool> client_gone{false};
  std::atomic<bool> detached{false};
  auto on_gone = [&] {
    client_gone.store(true);
    wake();
  };
  std::vector<std::thread> pumps;
  for (auto [fd, out] : {std::pair{stdio->out, streams.stdout}, std::pair{stdio->err, streams.stderr}}) {
    if (out == nullptr) {
      ::close(fd);  // the shim cuts this attacher's copy off at its next write
      continue;
    }
    pumps.emplace_back([fd, wake_fd, out, &on_gone] { PumpOut(fd, wake_fd, out, on_gone); });
  }
  const int pty = tty_container ? stdio->in : -1;
  silo::Mutex size_mu;  // sizes queued before input are applied before it
  auto apply_queued = [&streams, pty, &size_mu] {
    silo::MutexLock lock(&size_mu);
    while (auto s = streams.resize->TryNext()) ApplySize(pty, *s);
  };
  const bool resizing = pty >= 0 && streams.tty && streams.resize != nullptr;
  if (resizing) apply_queued();
  std::thread stdin_pump;
  if (streams.stdin != nullptr && stdio->in >= 0) {
    stdin_pump = std::thread([&, in = stdio->in] {
      while (auto data = streams.stdin->Read()) {
        if (resizing) apply_queued();
        if (!WriteAllFd(in, *data)) break;
      }
      // Our duplicate only: the container's stdin (or terminal) stays open in
      // the shim. A TTY's master is closed after the resize pump, below.
      if (pty < 0) ::close(in);
      if (streams.stdin->abandoned()) return on_gone();
      // The client closed stdin. With stdin_once the container's stdin ends
      // too and the session follows the process to its exit; without it,
      // closing stdin detaches.
      if (stdin_once) {
        (void)shim->CloseStdin(std::chrono::steady_clock::now() + std::chrono::seconds(10));
        return;
      }
      detached.store(true);
      wake();
    });
  } else if (stdio->in >= 0 && pty < 0) {
    ::close(stdio->in);
  }
  std::thread resize_pump;
  if (resizing) {
    resize_pump = std::thread([&streams, &apply_queued] {
      while (streams.resize->Wait()) apply_queued();
    });
  }
  for (auto& t : pumps) t.join();  // EOF when the exit is recorded, or woken
  if (stdin_pump.joinable()) {
    streams.stdin->Close();
    stdin_pump.join();
  }
  if (streams.resize) streams.resize->Close();
  if (resize_pump.joinable()) resize_pump.join();
  if (pty >= 0) ::close(pty);
  ::close(wake_fd);
  if (client_gone.load()) return absl::CancelledError(absl::StrCat(context, ": client went away"));
  if (detached.load()) return AttachEnd::kDetached;
  return AttachEnd::kProcessExited;
}

absl::StatusOr<int> DialLoopbackInNetns(const std::string& netns_path, int32_t port) {
  if (port <= 0 || port > 65535) return absl::InvalidArgumentError(absl::StrCat("port-forward: bad port ", port));
  int fd = -1;
  absl::Status status;
  auto make_socket = [&] {
    if (!netns_path.empty()) {
      int ns = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
      if (ns < 0) {
        status = ErrnoToStatus(errno, absl::StrCat("port-forward: open netns ", netns_path));
        return;
      }
      // Only this short-lived thread changes namespace; the socket keeps it.
      int rc = ::setns(ns, CLONE_NEWNET);
      int err = errno;
      ::close(ns);
      if (rc != 0) {
        status = ErrnoToStatus(err, absl::StrCat("port-forward: setns ", netns_path));
        return;
      }
    }
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) status = ErrnoToStatus(errno, "port-forward: socket");
  };
  if (netns_path.empty()) {
    make_socket();
  } else {
    std::thread(make_socket).join();
  }
  SILO_RETURN_IF_ERROR(status);
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    absl::Status s = ErrnoToStatus(errno, absl::StrCat("port-forward: dial 127.0.0.1:", port, " in ",
                                                       netns_path.empty() ? "the host network" : netns_path));
    ::close(fd);
    return s;
  }
  return fd;
}

absl::Status ShimProcessStreaming::PortForward(const model::SandboxRecord& sandbox, int32_t port, ByteQueue* in,
                                               OutputStream* out) {
  // Host-network pods have no pinned namespace: their ports are the host's.
  SILO_ASSIGN_OR_RETURN(int fd, DialLoopbackInNetns(sandbox.netns_path, port));
  int wake_fd = ::eventfd(0, EFD_CLOEXEC);
  if (wake_fd < 0) {
    ::close(fd);
    return ErrnoToStatus(errno, "port-forward: eventfd");
  }
  silo::Notification down_done;
  std::thread down([fd, wake_fd, in, out, &down_done] {
    char buf[16 * 1024];
    while (true) {
      struct pollfd p[2] = {{fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
      if (::poll(p, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (p[0].revents == 0 && p[1].revents != 0) break;
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (!out->Write(std::string_view(buf, static_cast<size_t>(n)))) {
        in->Close();  // the client is gone: end the upload too
        break;
      }
    }
    ::shutdown(fd, SHUT_RD);
    down_done.Notify();
  });
  while (auto data = in->Read()) {
    if (!SendAllNoSignal(fd, *data)) break;
  }
  ::shutdown(fd, SHUT_WR);
  // A finished upload lets the target answer until it closes; a vanished
  // client (abandoned queue) ends the download at once. ByteQueue has no
  // abandon callback, so look at it periodically while the target talks.
  while (!down_done.WaitForNotificationWithTimeout(absl::Milliseconds(200))) {
    if (in->abandoned()) {
      uint64_t one = 1;
      (void)!::write(wake_fd, &one, sizeof(one));
      break;
    }
  }
  down.join();
  ::close(fd);
  ::close(wake_fd);
  return absl::OkStatus();
}

}  // namespace silo::runtime::shim
