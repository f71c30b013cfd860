#include "runtime/shim/protocol.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"

namespace silo::runtime::shim {
namespace {

// Milliseconds left until `deadline` for poll(2); -1 means forever.
int PollTimeout(Deadline deadline) {
  if (deadline == kNoDeadline) return -1;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return 0;
  return left.count() > 1000000 ? 1000000 : static_cast<int>(left.count());
}

absl::Status WaitFor(int fd, short events, Deadline deadline, const char* what) {
  while (true) {
    struct pollfd p = {fd, events, 0};
    int n = ::poll(&p, 1, PollTimeout(deadline));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, absl::StrCat("poll shim socket for ", what));
    }
    if (n == 0) return absl::DeadlineExceededError(absl::StrCat("shim socket ", what, " timed out"));
    return absl::OkStatus();
  }
}

}  // namespace

absl::StatusOr<Request> DecodeRequest(absl::string_view text) {
  Request r;
  std::string error;
  if (!DecodeRequestJson(std::string_view(text.data(), text.size()), &r, &error)) {
    return absl::InvalidArgumentError(error);
  }
  return r;
}

absl::StatusOr<Response> DecodeResponse(absl::string_view text) {
  Response r;
  std::string error;
  if (!DecodeResponseJson(std::string_view(text.data(), text.size()), &r, &error)) {
    return absl::InvalidArgumentError(error);
  }
  return r;
}

Response ErrorResponse(const absl::Status& status) {
  Response r;
  r.code = static_cast<int>(status.code());
  r.message = std::string(status.message());
  return r;
}

absl::Status ResponseStatus(const Response& response) {
  return absl::Status(static_cast<absl::StatusCode>(response.code), response.message);
}

absl::Status FrameDecoder::Append(absl::string_view data) {
  if (failed_) return absl::InvalidArgumentError("shim frame stream already failed");
  buffer_.append(data.data(), data.size());
  if (buffer_.size() >= 4 && DecodeFrameLength(buffer_.data()) > max_frame_) {
    failed_ = true;
    uint32_t n = DecodeFrameLength(buffer_.data());
    buffer_.clear();
    return absl::InvalidArgumentError(absl::StrCat("shim frame of ", n, " bytes exceeds ", max_frame_));
  }
  return absl::OkStatus();
}

std::optional<std::string> FrameDecoder::Next() {
  if (failed_ || buffer_.size() < 4) return std::nullopt;
  uint32_t n = DecodeFrameLength(buffer_.data());
  if (buffer_.size() < 4 + size_t{n}) return std::nullopt;
  std::string payload = buffer_.substr(4, n);
  buffer_.erase(0, 4 + size_t{n});
  // Check the next prefix now so an oversized frame is refused early.
  if (buffer_.size() >= 4 && DecodeFrameLength(buffer_.data()) > max_frame_) {
    failed_ = true;
    buffer_.clear();
  }
  return payload;
}

absl::Status WriteFrame(int fd, absl::string_view payload, Deadline deadline, uint32_t max_frame) {
  if (payload.size() > max_frame) {
    return absl::InvalidArgumentError(absl::StrCat("shim frame of ", payload.size(), " bytes exceeds ", max_frame));
  }
  std::string frame = EncodeFrame(std::string_view(payload.data(), payload.size()));
  size_t done = 0;
  while (done < frame.size()) {
    absl::Status s = WaitFor(fd, POLLOUT, deadline, "write");
    if (!s.ok()) return s;
    ssize_t n = ::send(fd, frame.data() + done, frame.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == EPIPE || errno == ECONNRESET) return absl::UnavailableError("shim connection closed");
      return ErrnoToStatus(errno, "write shim frame");
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

namespace {

// Reads exactly `n` bytes so no byte of a following frame is consumed.
absl::Status ReadExact(int fd, char* out, size_t n, Deadline deadline) {
  size_t done = 0;
  while (done < n) {
    absl::Status s = WaitFor(fd, POLLIN, deadline, "read");
    if (!s.ok()) return s;
    ssize_t got = ::recv(fd, out + done, n - done, MSG_DONTWAIT);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == ECONNRESET) return absl::UnavailableError("shim connection reset");
      return ErrnoToStatus(errno, "read shim frame");
    }
    if (got == 0) return absl::UnavailableError("shim connection closed before a full frame");
    done += static_cast<size_t>(got);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ReadFrame(int fd, Deadline deadline, uint32_t max_frame) {
  char prefix[4];
  absl::Status s = ReadExact(fd, prefix, sizeof(prefix), deadline);
  if (!s.ok()) return s;
  uint32_t n = DecodeFrameLength(prefix);
  if (n > max_frame) {
    return absl::InvalidArgumentError(absl::StrCat("shim frame of ", n, " bytes exceeds ", max_frame));
  }
  std::string payload(n, '\0');
  s = ReadExact(fd, payload.data(), n, deadline);
  if (!s.ok()) return s;
  return payload;
}

}  // namespace silo::runtime::shim
