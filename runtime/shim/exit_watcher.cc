#include "runtime/shim/exit_watcher.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"
#include "runtime/shim/shim_client.h"

namespace silo::runtime::shim {
namespace {

constexpr uint64_t kWakeToken = 0;

}  // namespace

absl::StatusOr<std::unique_ptr<ShimExitWatcher>> ShimExitWatcher::Start() {
  int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return ErrnoToStatus(errno, "exit watcher: epoll_create1");
  int wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) {
    absl::Status s = ErrnoToStatus(errno, "exit watcher: eventfd");
    ::close(epoll_fd);
    return s;
  }
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeToken;
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &ev) != 0) {
    absl::Status s = ErrnoToStatus(errno, "exit watcher: epoll_ctl");
    ::close(wake_fd);
    ::close(epoll_fd);
    return s;
  }
  std::unique_ptr<ShimExitWatcher> watcher(new ShimExitWatcher(epoll_fd, wake_fd));
  watcher->thread_ = std::thread([w = watcher.get()] { w->Run(); });
  return watcher;
}

ShimExitWatcher::~ShimExitWatcher() {
  {
    silo::MutexLock lock(&mu_);
    stopping_ = true;
  }
  uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  for (auto& [token, entry] : entries_) ::close(entry.fd);
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

absl::StatusOr<uint64_t> ShimExitWatcher::Watch(const std::string& socket_path, Callback on_exit,
                                                Deadline deadline) {
  SILO_ASSIGN_OR_RETURN(std::unique_ptr<ShimClient> client, ShimClient::Connect(socket_path, deadline));
  Request wait;
  wait.op = Op::kWait;
  const int fd = client->ReleaseFd();
  absl::Status sent = WriteFrame(fd, EncodeRequest(wait), deadline);
  if (!sent.ok()) {
    ::close(fd);
    return Annotate(sent, absl::StrCat("watch shim ", socket_path));
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  auto result = std::make_shared<absl::StatusOr<Response>>(absl::UnknownError("no answer yet"));
  const uint64_t token = callbacks_.Add([result, on_exit = std::move(on_exit)] { on_exit(std::move(*result)); });
  silo::MutexLock lock(&mu_);
  struct epoll_event ev = {};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.u64 = token;
  if (stopping_ || ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    absl::Status s = stopping_ ? absl::CancelledError("exit watcher is stopping")
                               : ErrnoToStatus(errno, absl::StrCat("watch shim ", socket_path));
    ::close(fd);
    callbacks_.Cancel(token);  // never fired: returns at once
    return s;
  }
  Entry& entry = entries_[token];
  entry.fd = fd;
  entry.socket_path = socket_path;
  entry.result = std::move(result);
  return token;
}

void ShimExitWatcher::Cancel(uint64_t token) {
  {
    silo::MutexLock lock(&mu_);
    auto it = entries_.find(token);
    if (it != entries_.end()) {
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second.fd, nullptr);
      ::close(it->second.fd);
      entries_.erase(it);
    }
  }
  callbacks_.Cancel(token);  // waits for it if it is running (unless it is the caller)
}

size_t ShimExitWatcher::size() const {
  silo::MutexLock lock(&mu_);
  return entries_.size();
}

bool ShimExitWatcher::Read(Entry& entry, absl::StatusOr<Response>* result) {
  char buf[16 * 1024];
  while (true) {
    ssize_t n = ::recv(entry.fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return false;
    if (n < 0) {
      *result = ErrnoToStatus(errno, absl::StrCat("wait on shim ", entry.socket_path));
      return true;
    }
    if (n == 0) {
      *result = absl::UnavailableError(absl::StrCat("shim ", entry.socket_path, " hung up before answering wait"));
      return true;
    }
    absl::Status appended = entry.decoder.Append(absl::string_view(buf, static_cast<size_t>(n)));
    if (!appended.ok()) {
      *result = Annotate(appended, absl::StrCat("wait on shim ", entry.socket_path));
      return true;
    }
    if (std::optional<std::string> frame = entry.decoder.Next()) {
      absl::StatusOr<Response> response = DecodeResponse(*frame);
      if (response.ok()) {
        absl::Status code = ResponseStatus(*response);
        *result = code.ok() ? absl::StatusOr<Response>(std::move(*response)) : absl::StatusOr<Response>(code);
      } else {
        *result = response.status();
      }
      return true;
    }
  }
}

void ShimExitWatcher::Run() {
  struct epoll_event events[32];
  while (true) {
    int n = ::epoll_wait(epoll_fd_, events, 32, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // only a bad epoll descriptor gets here; the watches fall back to polling
    }
    for (int i = 0; i < n; ++i) {
      const uint64_t token = events[i].data.u64;
      if (token == kWakeToken) {
        uint64_t count;
        (void)!::read(wake_fd_, &count, sizeof(count));
        silo::MutexLock lock(&mu_);
        if (stopping_) return;
        continue;
      }
      silo::MutexLock lock(&mu_);
      if (stopping_) return;
      auto it = entries_.find(token);
      // Cancelled meanwhile, or the answer is not whole yet.
      if (it == entries_.end() || !Read(it->second, it->second.result.get())) continue;
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second.fd, nullptr);
      ::close(it->second.fd);
      entries_.erase(it);
      callbacks_.Fire(token);
    }
  }
}

}  // namespace silo::runtime::shim
