#include "runtime/shim/protocol.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"

namespace silo::runtime::shim {
namespace {

using nlohmann::json;

constexpr const char* kOpNames[] = {"state",  "kill",        "wait",       "exec",    "attach",
                                    "resize", "close_stdin", "reopen_log", "shutdown", "start"};

uint32_t ReadBigEndian32(const char* p) {
  auto b = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

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

template <typename T>
absl::StatusOr<T> ParseJson(absl::string_view text, const char* what, T (*convert)(const json&)) {
  try {
    json j = json::parse(text.begin(), text.end());
    if (!j.is_object()) return absl::InvalidArgumentError(absl::StrCat("shim ", what, " is not a JSON object"));
    return convert(j);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("bad shim ", what, ": ", e.what()));
  }
}

}  // namespace

const char* OpName(Op op) { return kOpNames[static_cast<int>(op)]; }

std::optional<Op> OpFromName(absl::string_view name) {
  for (size_t i = 0; i < std::size(kOpNames); ++i) {
    if (name == kOpNames[i]) return static_cast<Op>(i);
  }
  return std::nullopt;
}

std::string EncodeRequest(const Request& r) {
  json j = {{"op", OpName(r.op)}};
  switch (r.op) {
    case Op::kKill:
      j["signal"] = r.signal;
      j["all"] = r.all;
      break;
    case Op::kExec:
      j["args"] = r.args;
      j["env"] = r.env;
      j["cwd"] = r.cwd;
      j["tty"] = r.tty;
      j["stdin"] = r.stdin;
      j["timeout_ms"] = r.timeout_ms;
      if (r.stream) j["stream"] = true;
      break;
    case Op::kResize:
      j["width"] = r.width;
      j["height"] = r.height;
      break;
    default:
      break;
  }
  return j.dump();
}

absl::StatusOr<Request> DecodeRequest(absl::string_view text) {
  // Throws on a wrong type; ParseJson turns that into InvalidArgument.
  auto convert = [](const json& j) {
    Request r;
    auto op = OpFromName(j.at("op").get<std::string>());
    if (!op) throw std::invalid_argument("unknown op " + j.at("op").get<std::string>());
    r.op = *op;
    r.signal = j.value("signal", 0);
    r.all = j.value("all", false);
    r.args = j.value("args", std::vector<std::string>{});
    r.env = j.value("env", std::vector<std::string>{});
    r.cwd = j.value("cwd", std::string());
    r.tty = j.value("tty", false);
    r.stdin = j.value("stdin", false);
    r.timeout_ms = j.value("timeout_ms", int64_t{0});
    r.stream = j.value("stream", false);
    r.width = j.value("width", 0u);
    r.height = j.value("height", 0u);
    if (r.op == Op::kKill && (r.signal <= 0 || r.signal > 64)) {
      throw std::invalid_argument("kill needs a signal in 1..64");
    }
    if (r.op == Op::kExec && r.args.empty()) throw std::invalid_argument("exec needs args");
    return r;
  };
  return ParseJson<Request>(text, "request", +convert);
}

std::string EncodeResponse(const Response& r) {
  json j = {{"version", r.version}, {"code", static_cast<int>(r.code)}};
  if (!r.message.empty()) j["message"] = r.message;
  if (!r.state.empty()) j["state"] = r.state;
  if (r.pid != 0) j["pid"] = r.pid;
  if (r.exited) {
    j["exited"] = true;
    j["exit_code"] = r.exit_code;
    j["exited_at"] = r.exited_at_unix_nanos;
  }
  if (!r.stdout_data.empty()) j["stdout"] = absl::Base64Escape(r.stdout_data);
  if (!r.stderr_data.empty()) j["stderr"] = absl::Base64Escape(r.stderr_data);
  return j.dump();
}

absl::StatusOr<Response> DecodeResponse(absl::string_view text) {
  auto convert = [](const json& j) {
    Response r;
    r.version = j.value("version", kUnversionedShim);
    if (r.version < kUnversionedShim) throw std::invalid_argument("version out of range");
    int code = j.at("code").get<int>();
    if (code < 0 || code > 16) throw std::invalid_argument("status code out of range");
    r.code = static_cast<absl::StatusCode>(code);
    r.message = j.value("message", std::string());
    r.state = j.value("state", std::string());
    r.pid = j.value("pid", 0);
    r.exited = j.value("exited", false);
    r.exit_code = j.value("exit_code", 0);
    r.exited_at_unix_nanos = j.value("exited_at", int64_t{0});
    if (!absl::Base64Unescape(j.value("stdout", std::string()), &r.stdout_data) ||
        !absl::Base64Unescape(j.value("stderr", std::string()), &r.stderr_data)) {
      throw std::invalid_argument("exec output is not base64");
    }
    return r;
  };
  return ParseJson<Response>(text, "response", +convert);
}

Response ErrorResponse(const absl::Status& status) {
  Response r;
  r.code = status.code();
  r.message = std::string(status.message());
  return r;
}

absl::Status ResponseStatus(const Response& response) {
  return absl::Status(response.code, response.message);
}

std::string EncodeFrame(absl::string_view payload) {
  uint32_t n = static_cast<uint32_t>(payload.size());
  std::string out;
  out.reserve(4 + payload.size());
  out.push_back(static_cast<char>(n >> 24));
  out.push_back(static_cast<char>(n >> 16));
  out.push_back(static_cast<char>(n >> 8));
  out.push_back(static_cast<char>(n));
  out.append(payload.data(), payload.size());
  return out;
}

absl::Status FrameDecoder::Append(absl::string_view data) {
  if (failed_) return absl::InvalidArgumentError("shim frame stream already failed");
  buffer_.append(data.data(), data.size());
  if (buffer_.size() >= 4 && ReadBigEndian32(buffer_.data()) > max_frame_) {
    failed_ = true;
    uint32_t n = ReadBigEndian32(buffer_.data());
    buffer_.clear();
    return absl::InvalidArgumentError(absl::StrCat("shim frame of ", n, " bytes exceeds ", max_frame_));
  }
  return absl::OkStatus();
}

std::optional<std::string> FrameDecoder::Next() {
  if (failed_ || buffer_.size() < 4) return std::nullopt;
  uint32_t n = ReadBigEndian32(buffer_.data());
  if (buffer_.size() < 4 + size_t{n}) return std::nullopt;
  std::string payload = buffer_.substr(4, n);
  buffer_.erase(0, 4 + size_t{n});
  // Check the next prefix now so an oversized frame is refused early.
  if (buffer_.size() >= 4 && ReadBigEndian32(buffer_.data()) > max_frame_) {
    failed_ = true;
    buffer_.clear();
  }
  return payload;
}

absl::Status WriteFrame(int fd, absl::string_view payload, Deadline deadline, uint32_t max_frame) {
  if (payload.size() > max_frame) {
    return absl::InvalidArgumentError(absl::StrCat("shim frame of ", payload.size(), " bytes exceeds ", max_frame));
  }
  std::string frame = EncodeFrame(payload);
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
  uint32_t n = ReadBigEndian32(prefix);
  if (n > max_frame) {
    return absl::InvalidArgumentError(absl::StrCat("shim frame of ", n, " bytes exceeds ", max_frame));
  }
  std::string payload(n, '\0');
  s = ReadExact(fd, payload.data(), n, deadline);
  if (!s.ok()) return s;
  return payload;
}

}  // namespace silo::runtime::shim
