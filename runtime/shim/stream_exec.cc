#include "runtime/shim/stream_exec.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "runtime/base/cleanup.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"

namespace silo::runtime::shim {
namespace {

// Closes every descriptor it still holds when it goes out of scope.
struct FdSet {
  std::vector<int> fds;
  ~FdSet() {
    for (int f : fds) {
      if (f >= 0) ::close(f);
    }
  }
  int Add(int f) {
    fds.push_back(f);
    return f;
  }
  // Gives up ownership of `f` (it is the caller's now).
  int Release(int f) {
    for (int& x : fds) {
      if (x == f) x = -1;
    }
    return f;
  }
};

// A private directory holding the console socket: bundle paths can be too
// long for sockaddr_un.
struct ConsoleSocket {
  std::string dir;
  std::string path;
  int listen_fd = -1;
  ~ConsoleSocket() {
    if (listen_fd >= 0) ::close(listen_fd);
    if (!path.empty()) ::unlink(path.c_str());
    if (!dir.empty()) ::rmdir(dir.c_str());
  }
};

absl::Status OpenConsoleSocket(ConsoleSocket* cs) {
  char tmpl[] = "/tmp/silo-console-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return ErrnoToStatus(errno, "create console socket dir");
  cs->dir = tmpl;
  cs->path = cs->dir + "/console.sock";
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, cs->path.c_str(), cs->path.size() + 1);
  cs->listen_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (cs->listen_fd < 0) return ErrnoToStatus(errno, "create console socket");
  if (::bind(cs->listen_fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) != 0) {
    return ErrnoToStatus(errno, absl::StrCat("bind console socket ", cs->path));
  }
  if (::listen(cs->listen_fd, 1) != 0) return ErrnoToStatus(errno, "listen on console socket");
  return absl::OkStatus();
}

// runc connected and sent the pty master before exiting; the connection
// waits in the backlog, so accepting after runc returned does not block long.
absl::StatusOr<int> ReceiveConsole(int listen_fd) {
  struct pollfd p = {listen_fd, POLLIN, 0};
  if (::poll(&p, 1, 5000) <= 0) return absl::InternalError("runc did not send the exec's terminal");
  int conn = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn < 0) return ErrnoToStatus(errno, "accept console socket");
  char name[4096];
  struct iovec iov = {name, sizeof(name)};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n;
  do {
    n = ::recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  int err = errno;
  ::close(conn);
  if (n < 0) return ErrnoToStatus(err, "receive the exec's terminal");
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == nullptr || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int))) {
    return absl::InternalError("runc sent no terminal descriptor");
  }
  int master;
  std::memcpy(&master, CMSG_DATA(c), sizeof(int));
  return master;
}

}  // namespace

absl::StatusOr<StreamExecProcess> StartStreamExec(const linux_backend::Runc& runc, const std::string& id,
                                                  const std::string& scratch, const std::string& process_json,
                                                  bool tty, bool stdin) {
  std::string json_path = scratch + ".json", pid_path = scratch + ".pid";
  SILO_RETURN_IF_ERROR(AtomicWriteFile(json_path, process_json));
  CleanupStack cleanup;
  cleanup.Push("remove exec files", [json_path, pid_path] {
    ::unlink(json_path.c_str());
    ::unlink(pid_path.c_str());
    return absl::OkStatus();
  });

  FdSet owned;
  linux_backend::RuncStdio stdio;  // the process's ends; -1 = /dev/null
  std::vector<int> caller;
  std::vector<std::string> args = {"exec", "--detach"};
  ConsoleSocket console;
  if (tty) {
    SILO_RETURN_IF_ERROR(OpenConsoleSocket(&console));
    args.insert(args.end(), {"--tty", "--console-socket", console.path});
  } else {
    int p[2];
    if (stdin) {
      if (::pipe2(p, O_CLOEXEC) != 0) return ErrnoToStatus(errno, "exec stdin pipe");
      stdio.in = owned.Add(p[0]);
      caller.push_back(owned.Add(p[1]));
    }
    for (int* child : {&stdio.out, &stdio.err}) {
      if (::pipe2(p, O_CLOEXEC) != 0) return ErrnoToStatus(errno, "exec output pipe");
      caller.push_back(owned.Add(p[0]));
      *child = owned.Add(p[1]);
    }
  }
  args.insert(args.end(), {"--process", json_path, "--pid-file", pid_path, id});
  SILO_ASSIGN_OR_RETURN(linux_backend::Runc::Result result, runc.Run(args, &stdio));
  // Only the process keeps its ends, so EOF on ours means it closed them.
  for (int f : {stdio.in, stdio.out, stdio.err}) {
    if (f >= 0) ::close(owned.Release(f));
  }
  if (result.exit_code != 0) {
    return absl::InternalError(absl::StrCat("runc exec in container ", id, " failed (exit ", result.exit_code,
                                            "): ", result.error));
  }
  if (tty) {
    SILO_ASSIGN_OR_RETURN(int master, ReceiveConsole(console.listen_fd));
    caller.push_back(owned.Add(master));
  }
  StreamExecProcess process;
  auto pid_text = ReadFile(pid_path);
  if (!pid_text.ok() || !absl::SimpleAtoi(absl::StripAsciiWhitespace(*pid_text), &process.pid) ||
      process.pid <= 0) {
    return absl::InternalError(absl::StrCat("exec in ", id, ": unreadable pid file ", pid_path));
  }
  for (int f : caller) process.fds.push_back(owned.Release(f));
  return process;
}

}  // namespace silo::runtime::shim
