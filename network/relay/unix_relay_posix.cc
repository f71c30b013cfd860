#include "network/relay/unix_relay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "network/relay/byte_pump.h"
#include "runtime/base/file_util.h"

namespace silo::network::relay {
namespace {

absl::StatusOr<sockaddr_un> Address(const std::string& path) {
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("unix socket path too long: ", path));
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

int Dial(const std::string& path) {
  absl::StatusOr<sockaddr_un> addr = Address(path);
  if (!addr.ok()) return -1;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int DialLoopback(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// The address the server sees as this connection's peer.
bool LocalAddress(int fd, std::string* ipv4, uint16_t* port) {
  sockaddr_in addr = {};
  socklen_t len = sizeof(addr);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || addr.sin_family != AF_INET) return false;
  char text[INET_ADDRSTRLEN] = {};
  if (::inet_ntop(AF_INET, &addr.sin_addr, text, sizeof(text)) == nullptr) return false;
  *ipv4 = text;
  *port = ntohs(addr.sin_port);
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<UnixRelay>> UnixRelay::Start(const std::string& listen_path,
                                                            const std::string& upstream_path) {
  return Listen(listen_path, Upstream{upstream_path, 0, nullptr});
}

absl::StatusOr<std::unique_ptr<UnixRelay>> UnixRelay::StartToLoopback(const std::string& listen_path,
                                                                      uint16_t upstream_port,
                                                                      RelayedPeers* admitted) {
  if (upstream_port == 0 || admitted == nullptr) {
    return absl::InvalidArgumentError("relay to loopback needs a port and the admitted-peers set");
  }
  return Listen(listen_path, Upstream{"", upstream_port, admitted});
}

absl::StatusOr<std::unique_ptr<UnixRelay>> UnixRelay::Listen(const std::string& listen_path, Upstream upstream) {
  absl::StatusOr<sockaddr_un> addr = Address(listen_path);
  if (!addr.ok()) return addr.status();
  ::unlink(listen_path.c_str());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoToStatus(errno, "relay socket");
  mode_t old = ::umask(0177);
  int rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr));
  ::umask(old);
  if (rc != 0 || ::listen(fd, 256) != 0) {
    absl::Status s = ErrnoToStatus(errno, absl::StrCat("relay listen on ", listen_path));
    ::close(fd);
    return s;
  }
  int cancel = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (cancel < 0) {
    absl::Status s = ErrnoToStatus(errno, "relay eventfd");
    ::close(fd);
    return s;
  }
  std::unique_ptr<UnixRelay> relay(new UnixRelay(listen_path, std::move(upstream), fd, cancel));
  relay->acceptor_ = std::thread([r = relay.get()] { r->AcceptLoop(); });
  return relay;
}

void UnixRelay::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {cancel_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) {
      ::close(client);
      return;
    }
    ++connections_;
    ReapLocked();
    auto done = std::make_shared<std::atomic<bool>>(false);
    pumps_.push_back({std::thread([this, client, done] {
                        Serve(client);
                        *done = true;
                      }),
                      done});
  }
}

void UnixRelay::Serve(int client) {
  int upstream = upstream_.unix_path.empty() ? DialLoopback(upstream_.loopback_port) : Dial(upstream_.unix_path);
  std::string ip;
  uint16_t port = 0;
  if (upstream >= 0 && upstream_.admitted != nullptr && !LocalAddress(upstream, &ip, &port)) {
    ::close(upstream);
    upstream = -1;
  }
  if (upstream < 0) {
    ++failed_dials_;  // the client sees its connection close at once
    ::close(client);
    return;
  }
  // Admitted before the first byte reaches the server, withdrawn before the
  // socket closes (after that the address could belong to someone else).
  if (upstream_.admitted != nullptr) upstream_.admitted->Add(ip, port);
  PumpOptions options;
  options.cancel_fd = cancel_fd_;
  (void)PumpFds(client, upstream, options);
  if (upstream_.admitted != nullptr) upstream_.admitted->Remove(ip, port);
  ::close(upstream);
  ::close(client);
}


void UnixRelay::ReapLocked() {
  for (auto it = pumps_.begin(); it != pumps_.end();) {
    if (it->done->load()) {
      it->thread.join();
      it = pumps_.erase(it);
    } else {
      ++it;
    }
  }
}

void UnixRelay::Stop() {
  std::vector<Worker> pumps;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  uint64_t one = 1;
  (void)!::write(cancel_fd_, &one, sizeof(one));
  if (acceptor_.joinable()) acceptor_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    pumps.swap(pumps_);
  }
  for (auto& w : pumps) w.thread.join();
  ::close(listen_fd_);
  ::close(cancel_fd_);
  ::unlink(listen_path_.c_str());
}

UnixRelay::~UnixRelay() { Stop(); }

}  // namespace silo::network::relay
