#include "runtime/shim/shim_client.h"

#include "runtime/shim/fd_passing.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "runtime/base/failpoint.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"

namespace silo::runtime::shim {
namespace {

Request MakeRequest(Op op) {
  Request r;
  r.op = op;
  return r;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ShimClient>> ShimClient::Connect(const std::string& socket_path,
                                                               Deadline deadline) {
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("shim socket path too long: ", socket_path));
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  int backoff_ms = 1;
  while (true) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return ErrnoToStatus(errno, "create shim client socket");
    if (::connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) == 0) {
      return std::unique_ptr<ShimClient>(new ShimClient(socket_path, fd));
    }
    int err = errno;
    ::close(fd);
    bool retryable = err == ENOENT || err == ECONNREFUSED || err == EAGAIN || err == EINTR;
    if (!retryable || std::chrono::steady_clock::now() >= deadline) {
      absl::Status s = ErrnoToStatus(err, absl::StrCat("connect to shim socket ", socket_path));
      if (retryable) return absl::DeadlineExceededError(s.message());
      return s;
    }
    // The shim may still be binding its socket: back off briefly and retry.
    ::poll(nullptr, 0, backoff_ms);
    backoff_ms = std::min(backoff_ms * 2, 50);
  }
}

ShimClient::~ShimClient() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<Response> ShimClient::Call(const Request& request, Deadline deadline) {
  std::string context = absl::StrCat("shim ", OpName(request.op), " on ", path_);
  absl::Status s = WriteFrame(fd_, EncodeRequest(request), deadline);
  if (!s.ok()) return Annotate(s, context);
  auto frame = ReadFrame(fd_, deadline, kMaxResponseFrameSize);
  if (!frame.ok()) return Annotate(frame.status(), context);
  auto response = DecodeResponse(*frame);
  if (!response.ok()) return Annotate(response.status(), context);
  peer_version_ = response->version;
  s = ResponseStatus(*response);
  if (!s.ok()) return Annotate(s, context);
  return response;
}

absl::StatusOr<Response> ShimClient::State(Deadline deadline) {
  return Call(MakeRequest(Op::kState), deadline);
}

absl::Status ShimClient::Start(Deadline deadline) {
  SILO_FAILPOINT("shim.start");
  return Call(MakeRequest(Op::kStart), deadline).status();
}

absl::StatusOr<Response> ShimClient::Exec(std::vector<std::string> args, std::vector<std::string> env,
                                          std::chrono::milliseconds timeout, Deadline deadline) {
  Request r = MakeRequest(Op::kExec);
  r.args = std::move(args);
  r.env = std::move(env);
  r.timeout_ms = timeout.count();
  return Call(r, deadline);
}

absl::Status ShimClient::Kill(int signal, bool all, Deadline deadline) {
  Request r = MakeRequest(Op::kKill);
  r.signal = signal;
  r.all = all;
  return Call(r, deadline).status();
}

absl::StatusOr<Response> ShimClient::Wait(Deadline deadline) {
  return Call(MakeRequest(Op::kWait), deadline);
}

absl::Status ShimClient::ReopenLog(Deadline deadline) {
  return Call(MakeRequest(Op::kReopenLog), deadline).status();
}

absl::Status ShimClient::Shutdown(Deadline deadline) {
  return Call(MakeRequest(Op::kShutdown), deadline).status();
}

absl::StatusOr<ShimClient::AttachedStdio> ShimClient::Attach(Deadline deadline) {
  std::string context = absl::StrCat("shim attach on ", path_);
  Request request;
  request.op = Op::kAttach;
  SILO_RETURN_IF_ERROR(Annotate(WriteFrame(fd_, EncodeRequest(request), deadline), context));
  std::vector<int> fds;
  auto frame = ReadFrameWithFds(fd_, &fds, deadline);
  if (!frame.ok()) return Annotate(frame.status(), context);
  auto response = DecodeResponse(*frame);
  absl::Status s = response.ok() ? ResponseStatus(*response) : response.status();
  if (s.ok() && fds.size() != 2 && fds.size() != 3) {
    s = absl::InternalError(absl::StrCat("shim passed ", fds.size(), " descriptors, want 2 or 3"));
  }
  if (!s.ok()) {
    for (int f : fds) ::close(f);
    return Annotate(s, context);
  }
  AttachedStdio stdio;
  stdio.out = fds[0];
  stdio.err = fds[1];
  if (fds.size() == 3) stdio.in = fds[2];
  return stdio;
}

absl::Status ShimClient::CloseStdin(Deadline deadline) {
  Request request;
  request.op = Op::kCloseStdin;
  return Call(request, deadline).status();
}

}  // namespace silo::runtime::shim
