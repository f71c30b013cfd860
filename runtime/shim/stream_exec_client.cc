#include "runtime/shim/stream_exec_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"
#include "runtime/shim/fd_passing.h"

namespace silo::runtime::shim {

absl::StatusOr<std::unique_ptr<StreamExecClient>> StreamExecClient::Start(const std::string& socket_path,
                                                                          std::vector<std::string> args,
                                                                          bool tty, bool stdin,
                                                                          Deadline deadline) {
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("shim socket path too long: ", socket_path));
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoToStatus(errno, "create shim client socket");
  std::unique_ptr<StreamExecClient> client(new StreamExecClient(fd));
  if (::connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::UnavailableError(
        ErrnoToStatus(errno, absl::StrCat("connect to shim socket ", socket_path)).message());
  }
  std::string context = absl::StrCat("shim exec (interactive) on ", socket_path);
  Request request;
  request.op = Op::kExec;
  request.args = std::move(args);
  request.tty = tty;
  request.stdin = stdin;
  request.stream = true;
  SILO_RETURN_IF_ERROR(Annotate(WriteFrame(fd, EncodeRequest(request), deadline), context));
  std::vector<int> fds;
  auto frame = ReadFrameWithFds(fd, &fds, deadline);
  if (!frame.ok()) return Annotate(frame.status(), context);
  auto response = DecodeResponse(*frame);
  absl::Status s = response.ok() ? ResponseStatus(*response) : response.status();
  size_t want = tty ? 1 : (stdin ? 3 : 2);
  if (s.ok() && fds.size() != want) {
    s = absl::InternalError(absl::StrCat("shim passed ", fds.size(), " descriptors, want ", want));
  }
  if (!s.ok()) {
    for (int f : fds) ::close(f);
    return Annotate(s, context);
  }
  client->pid_ = response->pid;
  if (tty) {
    client->pty_fd_ = fds[0];
  } else {
    size_t i = 0;
    if (stdin) client->stdin_fd_ = fds[i++];
    client->stdout_fd_ = fds[i++];
    client->stderr_fd_ = fds[i++];
  }
  return client;
}

StreamExecClient::~StreamExecClient() {
  for (int f : {conn_, stdin_fd_, stdout_fd_, stderr_fd_, pty_fd_}) {
    if (f >= 0) ::close(f);
  }
}

absl::StatusOr<int> StreamExecClient::Wait() {
  SILO_ASSIGN_OR_RETURN(std::string frame, ReadFrame(conn_, kNoDeadline, kMaxResponseFrameSize));
  SILO_ASSIGN_OR_RETURN(Response response, DecodeResponse(frame));
  SILO_RETURN_IF_ERROR(ResponseStatus(response));
  return response.exit_code;
}

void StreamExecClient::Abort() { ::shutdown(conn_, SHUT_RDWR); }

}  // namespace silo::runtime::shim
