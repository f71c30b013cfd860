#include "cri/daemon/windows/fake_host/host_server.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace silo::cri::fake_host {

absl::StatusOr<std::unique_ptr<FakeHostServer>> FakeHostServer::Start(const std::string& socket_path,
                                                                       HostEntries entries,
                                                                       std::function<int()> reap_hcs) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat("socket path too long: ", socket_path));
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  ::unlink(socket_path.c_str());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 64) != 0) {
    const int err = errno;
    ::close(fd);
    return absl::InternalError(absl::StrCat("listen on ", socket_path, ": ", std::strerror(err)));
  }
  return std::unique_ptr<FakeHostServer>(new FakeHostServer(fd, std::move(entries), std::move(reap_hcs)));
}

FakeHostServer::FakeHostServer(int listen_fd, HostEntries entries, std::function<int()> reap_hcs)
    : listen_fd_(listen_fd), entries_(std::move(entries)), reap_hcs_(std::move(reap_hcs)) {
  accept_ = std::thread([this] { AcceptLoop(); });
}

FakeHostServer::~FakeHostServer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    changed_.notify_all();
    // Every connection's reader wakes with end of stream.
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
  accept_.join();
  ::close(listen_fd_);
  std::vector<std::thread> connections;
  {
    std::lock_guard<std::mutex> lock(mu_);
    connections.swap(connections_);
  }
  for (std::thread& t : connections) t.join();
}

void FakeHostServer::AcceptLoop() {
  for (;;) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // shut down
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    open_fds_.insert(fd);
    connections_.emplace_back([this, fd] { Serve(fd); });
  }
}

void FakeHostServer::Serve(int fd) {
  std::string hello;
  std::shared_ptr<ClientProcess> process;
  ConnectionKind kind{};
  if (ReceiveMessage(fd, &hello)) {
    WireReader r(std::move(hello));
    const Table table = r.Get<Table>();
    const uint32_t op = r.Get<uint32_t>();
    kind = r.Get<ConnectionKind>();
    const pid_t pid = static_cast<pid_t>(r.Get<int64_t>());
    std::lock_guard<std::mutex> lock(mu_);
    if (r.ok() && table == Table::kControl && op == kControlHello && !stopping_) {
      if (kind == ConnectionKind::kLifeline && live_.count(pid) == 0) {
        process = std::make_shared<ClientProcess>(pid, fd);
        live_[pid] = process;
      } else if (kind == ConnectionKind::kCalls && live_.count(pid) != 0) {
        process = live_[pid];
        call_fds_[pid].insert(fd);
      }
    }
  }
  // A failed answer ends the serving below at once (end of stream).
  if (process != nullptr) SendMessage(fd, "ok");
  if (process != nullptr && kind == ConnectionKind::kLifeline) {
    ServeLifeline(fd, process);
  } else if (process != nullptr) {
    ServeCalls(fd, process);
  }
  std::lock_guard<std::mutex> lock(mu_);
  open_fds_.erase(fd);
  ::close(fd);
  changed_.notify_all();
}

void FakeHostServer::ServeCalls(int fd, const std::shared_ptr<ClientProcess>& process) {
  std::string message;
  while (ReceiveMessage(fd, &message)) {
    WireReader r(std::move(message));
    const Table table = r.Get<Table>();
    const uint32_t entry = r.Get<uint32_t>();
    if (!WaitIfHeld(table, entry, process->pid())) break;
    auto it = entries_.find({table, entry});
    if (it == entries_.end()) {
      RefuseCall(absl::StrCat("no entry ", entry, " of table ", static_cast<uint32_t>(table)).c_str());
    }
    WireWriter w;
    it->second(*process, r, w);
    if (!r.ok()) RefuseCall(absl::StrCat("a malformed call of entry ", entry).c_str());
    if (!SendMessage(fd, w.bytes())) break;
  }
  std::lock_guard<std::mutex> lock(mu_);
  call_fds_[process->pid()].erase(fd);
}

bool FakeHostServer::WaitIfHeld(Table table, uint32_t entry, pid_t pid) {
  std::unique_lock<std::mutex> lock(mu_);
  if (hold_ != std::pair{table, entry}) return true;
  ++held_;
  changed_.notify_all();
  changed_.wait(lock, [&] { return hold_ != std::pair{table, entry} || dying_.count(pid) != 0 || stopping_; });
  --held_;
  return dying_.count(pid) == 0 && !stopping_;
}

void FakeHostServer::HoldCalls(Table table, uint32_t entry) {
  std::lock_guard<std::mutex> lock(mu_);
  hold_ = std::pair{table, entry};
}

bool FakeHostServer::WaitForHeldCall(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_for(lock, timeout, [&] { return held_ > 0; });
}

void FakeHostServer::ReleaseHeldCalls() {
  std::lock_guard<std::mutex> lock(mu_);
  hold_.reset();
  changed_.notify_all();
}

void FakeHostServer::ServeLifeline(int fd, const std::shared_ptr<ClientProcess>& process) {
  // The client never writes on its lifeline: the read ends when it dies.
  std::string ignored;
  while (ReceiveMessage(fd, &ignored)) {
  }
  const pid_t pid = process->pid();
  {
    // Its calls in flight finish (their answers go nowhere) before its
    // handles close, so none opens a handle after the reaping.
    std::unique_lock<std::mutex> lock(mu_);
    dying_.insert(pid);
    changed_.notify_all();  // its held calls give up
    for (int call_fd : call_fds_[pid]) ::shutdown(call_fd, SHUT_RDWR);
    changed_.wait(lock, [&] { return call_fds_[pid].empty(); });
    call_fds_.erase(pid);
  }
  Death death;
  death.pid = pid;
  death.hcs_handles = reap_hcs_ ? reap_hcs_() : 0;
  death.other_handles = process->CloseLeftHandles();
  std::lock_guard<std::mutex> lock(mu_);
  live_.erase(pid);
  dying_.erase(pid);
  deaths_.push_back(death);
  changed_.notify_all();
}

bool FakeHostServer::WaitForDeaths(size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_for(lock, timeout, [&] { return deaths_.size() >= n; });
}

std::vector<FakeHostServer::Death> FakeHostServer::deaths() const {
  std::lock_guard<std::mutex> lock(mu_);
  return deaths_;
}

int FakeHostServer::live_clients() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(live_.size());
}

}  // namespace silo::cri::fake_host
