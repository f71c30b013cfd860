#include "cri/streaming/socket_io.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

namespace silo::cri::streaming {

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(size_t(n));
  }
  return true;
}

WaitResult WaitReadable(int fd, absl::Duration timeout) {
  pollfd p{fd, POLLIN, 0};
  int ms = int(absl::ToInt64Milliseconds(timeout));
  while (true) {
    int rc = ::poll(&p, 1, ms < 0 ? 0 : ms);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return WaitResult::kError;
    if (rc == 0) return WaitResult::kTimeout;
    return WaitResult::kReadable;  // includes POLLHUP/POLLERR: recv reports it
  }
}

}  // namespace silo::cri::streaming
