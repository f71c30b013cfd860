#pragma once
// Small blocking-socket helpers shared by the HTTP front of the streaming
// server and the SPDY and WebSocket connections, which use the OS socket
// directly after the upgrade. One implementation per platform
// (socket_io_posix.cc over fds; socket_io_win32.cc over Winsock SOCKETs).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace silo::cri::streaming {

// An OS socket: a file descriptor, or a Winsock SOCKET (INVALID_SOCKET is
// all ones, i.e. -1 here too).
using SocketFd = std::intptr_t;
inline constexpr SocketFd kNoSocket = -1;

// Writes all of `data`; false if the peer is gone. Never raises SIGPIPE.
bool SendAll(SocketFd fd, std::string_view data);

enum class WaitResult { kReadable, kTimeout, kError };
// Waits up to `timeout` for `fd` to become readable.
WaitResult WaitReadable(SocketFd fd, absl::Duration timeout);

// Reads what is there (blocking until something is): the byte count, 0 at
// end of stream, -1 on error.
long RecvSome(SocketFd fd, char* buf, size_t len);

// Ends both directions (wakes a thread blocked reading it), or only sending.
void ShutdownSocket(SocketFd fd);
void ShutdownSend(SocketFd fd);

// A TCP connection to the IPv4 or IPv6 address literal `host` (no name
// lookup); kNoSocket with `error` set when it cannot be made. Closed with
// CloseSocket.
SocketFd DialTcp(const std::string& host, uint16_t port, std::string* error);
void CloseSocket(SocketFd fd);

}  // namespace silo::cri::streaming
