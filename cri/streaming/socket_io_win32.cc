#include "cri/streaming/socket_io.h"

#include <winsock2.h>

#include <algorithm>

namespace silo::cri::streaming {
namespace {

SOCKET S(SocketFd fd) { return static_cast<SOCKET>(fd); }

}  // namespace

// Winsock raises no signal when the peer is gone: send just fails.
bool SendAll(SocketFd fd, std::string_view data) {
  while (!data.empty()) {
    int chunk = static_cast<int>(std::min<size_t>(data.size(), 1 << 30));
    int n = ::send(S(fd), data.data(), chunk, 0);
    if (n == SOCKET_ERROR) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

WaitResult WaitReadable(SocketFd fd, absl::Duration timeout) {
  WSAPOLLFD p = {};
  p.fd = S(fd);
  p.events = POLLRDNORM;
  int ms = static_cast<int>(absl::ToInt64Milliseconds(timeout));
  int rc = WSAPoll(&p, 1, ms < 0 ? 0 : ms);
  if (rc == SOCKET_ERROR) return WaitResult::kError;
  if (rc == 0) return WaitResult::kTimeout;
  return WaitResult::kReadable;  // includes POLLHUP/POLLERR: recv reports it
}

long RecvSome(SocketFd fd, char* buf, size_t len) {
  int n = ::recv(S(fd), buf, static_cast<int>(std::min<size_t>(len, 1 << 30)), 0);
  return n == SOCKET_ERROR ? -1 : n;
}

void ShutdownSocket(SocketFd fd) { ::shutdown(S(fd), SD_BOTH); }

void ShutdownSend(SocketFd fd) { ::shutdown(S(fd), SD_SEND); }

}  // namespace silo::cri::streaming
