#include "cri/streaming/socket_io.h"

#include <winsock2.h>
#include <ws2tcpip.h>

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

SocketFd DialTcp(const std::string& host, uint16_t port, std::string* error) {
  sockaddr_storage addr = {};
  int len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (InetPtonA(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(*v4);
  } else if (InetPtonA(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(*v6);
  } else {
    *error = "not an IP address: " + host;
    return kNoSocket;
  }
  SOCKET s = ::socket(addr.ss_family, SOCK_STREAM, IPPROTO_TCP);
  if (s == INVALID_SOCKET) {
    *error = "socket: WSA error " + std::to_string(WSAGetLastError());
    return kNoSocket;
  }
  if (::connect(s, reinterpret_cast<sockaddr*>(&addr), len) == SOCKET_ERROR) {
    *error = "connect: WSA error " + std::to_string(WSAGetLastError());
    ::closesocket(s);
    return kNoSocket;
  }
  return static_cast<SocketFd>(s);
}

void CloseSocket(SocketFd fd) { ::closesocket(S(fd)); }

}  // namespace silo::cri::streaming
