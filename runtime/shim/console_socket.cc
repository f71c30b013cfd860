#include "runtime/shim/console_socket.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"

namespace silo::runtime::shim {

ConsoleSocket::~ConsoleSocket() {
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (!path_.empty()) ::unlink(path_.c_str());
  if (!dir_.empty()) ::rmdir(dir_.c_str());
}

absl::Status ConsoleSocket::Open() {
  char tmpl[] = "/tmp/silo-console-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return ErrnoToStatus(errno, "create console socket dir");
  dir_ = tmpl;
  path_ = dir_ + "/console.sock";
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return ErrnoToStatus(errno, "create console socket");
  if (::bind(listen_fd_, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) != 0) {
    return ErrnoToStatus(errno, absl::StrCat("bind console socket ", path_));
  }
  if (::listen(listen_fd_, 1) != 0) return ErrnoToStatus(errno, "listen on console socket");
  return absl::OkStatus();
}

absl::StatusOr<int> ConsoleSocket::ReceiveMaster() {
  struct pollfd p = {listen_fd_, POLLIN, 0};
  if (::poll(&p, 1, 5000) <= 0) return absl::InternalError("runc did not send the process's terminal");
  int conn = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
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
  if (n < 0) return ErrnoToStatus(err, "receive the process's terminal");
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == nullptr || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int))) {
    return absl::InternalError("runc sent no terminal descriptor");
  }
  int master;
  std::memcpy(&master, CMSG_DATA(c), sizeof(int));
  return master;
}

}  // namespace silo::runtime::shim
