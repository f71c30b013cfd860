#include "cri/streaming/testing/client_conn.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "runtime/base/file_util.h"

namespace silo::cri::streaming::testing {

absl::StatusOr<std::unique_ptr<ClientConn>> ClientConn::Dial(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoToStatus(errno, "client: socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    absl::Status st = ErrnoToStatus(errno, "client: connect");
    ::close(fd);
    return st;
  }
  return std::unique_ptr<ClientConn>(new ClientConn(fd));
}

ClientConn::~ClientConn() { ::close(fd_); }

absl::Status ClientConn::Send(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoToStatus(errno, "client: send");
    data.remove_prefix(size_t(n));
  }
  return absl::OkStatus();
}

bool ClientConn::Recv(absl::Duration timeout) {
  pollfd p{fd_, POLLIN, 0};
  int rc = ::poll(&p, 1, int(absl::ToInt64Milliseconds(timeout)));
  if (rc <= 0) return false;
  char tmp[16 * 1024];
  ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
  if (n <= 0) return false;
  buf_.append(tmp, size_t(n));
  return true;
}

void ClientConn::CloseWrite() { ::shutdown(fd_, SHUT_WR); }

absl::StatusOr<UpgradeResponse> ClientConn::Upgrade(
    const std::string& method, const std::string& path,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string req = absl::StrCat(method, " ", path, " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  for (const auto& [k, v] : headers) absl::StrAppend(&req, k, ": ", v, "\r\n");
  absl::StrAppend(&req, "Content-Length: 0\r\n\r\n");
  if (absl::Status st = Send(req); !st.ok()) return st;
  size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
    if (!Recv(absl::Seconds(10))) return absl::UnavailableError("client: no response head");
  }
  std::string head = buf_.substr(0, end);
  buf_.erase(0, end + 4);
  std::vector<std::string> lines = absl::StrSplit(head, "\r\n");
  UpgradeResponse res;
  std::vector<std::string> status_line = absl::StrSplit(lines[0], ' ');
  if (status_line.size() < 2 || !absl::SimpleAtoi(status_line[1], &res.status)) {
    return absl::InvalidArgumentError(absl::StrCat("client: bad status line ", lines[0]));
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    res.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
  }
  // A non-upgrade response may carry a body; drop it, the status is enough.
  return res;
}

}  // namespace silo::cri::streaming::testing
