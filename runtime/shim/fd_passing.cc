#include "runtime/shim/fd_passing.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"

namespace silo::runtime::shim {
namespace {

// Waits for `events` on `fd` until `deadline`.
absl::Status PollUntil(int fd, short events, Deadline deadline) {
  while (true) {
    int timeout = -1;
    if (deadline != kNoDeadline) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return absl::DeadlineExceededError("shim socket i/o timed out");
      timeout = static_cast<int>(std::min<int64_t>(left.count(), 1 << 30));
    }
    struct pollfd p = {fd, events, 0};
    int n = ::poll(&p, 1, timeout);
    if (n > 0) return absl::OkStatus();
    if (n < 0 && errno != EINTR) return ErrnoToStatus(errno, "poll shim socket");
  }
}

void CloseAll(std::vector<int>* fds) {
  for (int f : *fds) ::close(f);
  fds->clear();
}

// Moves the descriptors of every SCM_RIGHTS message in `msg` into `fds`.
void CollectFds(struct msghdr* msg, std::vector<int>* fds) {
  for (struct cmsghdr* c = CMSG_FIRSTHDR(msg); c != nullptr; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n; ++i) {
      int f;
      std::memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      fds->push_back(f);
    }
  }
}

}  // namespace

absl::Status WriteFrameWithFds(int fd, absl::string_view payload, const std::vector<int>& fds, Deadline deadline) {
  if (fds.size() > kMaxPassedFds) return absl::InvalidArgumentError("too many descriptors for one shim frame");
  if (payload.size() > kMaxFrameSize) return absl::InvalidArgumentError("shim frame too large");
  std::string frame = EncodeFrame(std::string_view(payload.data(), payload.size()));
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)] = {};
  size_t sent = 0;
  while (sent < frame.size()) {
    struct iovec iov = {frame.data() + sent, frame.size() - sent};
    struct msghdr msg = {};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (sent == 0 && !fds.empty()) {
      msg.msg_control = control;
      msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
      struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
      std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      SILO_RETURN_IF_ERROR(PollUntil(fd, POLLOUT, deadline));
      continue;
    }
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) return absl::UnavailableError("shim peer closed");
    return ErrnoToStatus(errno, "send shim frame with descriptors");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFrameWithFds(int fd, std::vector<int>* fds, Deadline deadline, uint32_t max_frame) {
  // Reads exactly `len` bytes into `buf`, collecting descriptors on the way.
  auto read_exact = [&](char* buf, size_t len) -> absl::Status {
    size_t got = 0;
    while (got < len) {
      SILO_RETURN_IF_ERROR(PollUntil(fd, POLLIN, deadline));
      struct iovec iov = {buf + got, len - got};
      alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)] = {};
      struct msghdr msg = {};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof(control);
      ssize_t n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
      if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n < 0) return ErrnoToStatus(errno, "receive shim frame");
      CollectFds(&msg, fds);
      if ((msg.msg_flags & MSG_CTRUNC) != 0) return absl::InternalError("shim frame descriptors truncated");
      if (n == 0) return absl::UnavailableError("shim closed the connection");
      got += static_cast<size_t>(n);
    }
    return absl::OkStatus();
  };
  unsigned char header[4];
  absl::Status s = read_exact(reinterpret_cast<char*>(header), sizeof(header));
  uint32_t len = 0;
  if (s.ok()) {
    len = (uint32_t{header[0]} << 24) | (uint32_t{header[1]} << 16) | (uint32_t{header[2]} << 8) | header[3];
    if (len > max_frame) s = absl::InvalidArgumentError(absl::StrCat("shim frame of ", len, " bytes is too large"));
  }
  std::string payload(s.ok() ? len : 0, '\0');
  if (s.ok()) s = read_exact(payload.data(), len);
  if (!s.ok()) {
    CloseAll(fds);
    return s;
  }
  return payload;
}

}  // namespace silo::runtime::shim
