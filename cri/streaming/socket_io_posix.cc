#include "cri/streaming/socket_io.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

namespace silo::cri::streaming {
namespace {

int Fd(SocketFd fd) { return static_cast<int>(fd); }

}  // namespace

bool SendAll(SocketFd fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(Fd(fd), data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

WaitResult WaitReadable(SocketFd fd, absl::Duration timeout) {
  pollfd p{Fd(fd), POLLIN, 0};
  int ms = static_cast<int>(absl::ToInt64Milliseconds(timeout));
  while (true) {
    int rc = ::poll(&p, 1, ms < 0 ? 0 : ms);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return WaitResult::kError;
    if (rc == 0) return WaitResult::kTimeout;
    return WaitResult::kReadable;  // includes POLLHUP/POLLERR: recv reports it
  }
}

long RecvSome(SocketFd fd, char* buf, size_t len) {
  while (true) {
    ssize_t n = ::recv(Fd(fd), buf, len, 0);
    if (n < 0 && errno == EINTR) continue;
    return static_cast<long>(n);
  }
}

void ShutdownSocket(SocketFd fd) { ::shutdown(Fd(fd), SHUT_RDWR); }

void ShutdownSend(SocketFd fd) { ::shutdown(Fd(fd), SHUT_WR); }

}  // namespace silo::cri::streaming
