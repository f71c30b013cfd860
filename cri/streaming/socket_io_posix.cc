#include "cri/streaming/socket_io.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

SocketFd DialTcp(const std::string& host, uint16_t port, std::string* error) {
  sockaddr_storage addr = {};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(*v4);
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(*v6);
  } else {
    *error = "not an IP address: " + host;
    return kNoSocket;
  }
  int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return kNoSocket;
  }
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), len);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    *error = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    return kNoSocket;
  }
  return fd;
}

void CloseSocket(SocketFd fd) { ::close(Fd(fd)); }

}  // namespace silo::cri::streaming
