#include "cri/daemon/windows/fake_host/host_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>

namespace silo::cri::fake_host {

namespace hcs = runtime::windows::hcs;

namespace {

FakeHostClient* g_client = nullptr;

[[noreturn]] void HostGone(const char* what) {
  std::fprintf(stderr, "fake Windows host: %s: the host is gone\n", what);
  std::_Exit(3);
}

// Closes the calling thread's connection when the thread ends.
struct ThreadConnection {
  int fd = -1;
  ~ThreadConnection() {
    if (fd >= 0) ::close(fd);
  }
};
thread_local ThreadConnection t_connection;

}  // namespace

int DialFakeHost(const std::string& socket_path, ConnectionKind kind, std::string* error) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path)) {
    ::close(fd);
    *error = "socket path too long: " + socket_path;
    return -1;
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    *error = "connect " + socket_path + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  WireWriter hello;
  hello.Put(Table::kControl);
  hello.Put(kControlHello);
  hello.Put(kind);
  hello.Put<int64_t>(::getpid());
  // The host answers once it knows the connection's process.
  std::string answer;
  if (!SendMessage(fd, hello.bytes()) || !ReceiveMessage(fd, &answer) || answer != "ok") {
    *error = "the host at " + socket_path + " refused the connection";
    ::close(fd);
    return -1;
  }
  return fd;
}

bool FakeHostClient::Connect(const std::string& socket_path, std::string* error) {
  if (g_client != nullptr) {
    *error = "already connected";
    return false;
  }
  int lifeline = DialFakeHost(socket_path, ConnectionKind::kLifeline, error);
  if (lifeline < 0) return false;
  // Lives as long as the process: its lifeline is the process.
  g_client = new FakeHostClient(socket_path, lifeline);
  return true;
}

FakeHostClient& FakeHostClient::Get() {
  if (g_client == nullptr) HostGone("no connection");
  return *g_client;
}

FakeHostClient::FakeHostClient(std::string socket_path, int lifeline)
    : socket_path_(std::move(socket_path)), lifeline_(lifeline) {
  std::thread events([this] { DeliverEvents(); });
  events_thread_ = events.get_id();
  events.detach();  // runs as long as the process
}

int FakeHostClient::ConnectThread() {
  if (t_connection.fd >= 0) return t_connection.fd;
  std::string error;
  t_connection.fd = DialFakeHost(socket_path_, ConnectionKind::kCalls, &error);
  if (t_connection.fd < 0) HostGone(error.c_str());
  return t_connection.fd;
}

WireReader FakeHostClient::Call(const WireWriter& request) {
  const int fd = ConnectThread();
  std::string response;
  if (!SendMessage(fd, request.bytes()) || !ReceiveMessage(fd, &response)) HostGone("call");
  return WireReader(std::move(response));
}

uint64_t FakeHostClient::RegisterCallback(void* handle, hcs::HcsEventCallback callback, void* context) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t id = next_callback_++;
  callbacks_[id] = Registration{handle, callback, context};
  return id;
}

void FakeHostClient::UnregisterCallbacks(void* handle) {
  std::unique_lock<std::mutex> lock(mu_);
  auto running_here = [&] {
    auto it = callbacks_.find(delivering_);
    return it != callbacks_.end() && it->second.handle == handle;
  };
  if (std::this_thread::get_id() != events_thread_) {
    idle_.wait(lock, [&] { return !running_here(); });
  }
  for (auto it = callbacks_.begin(); it != callbacks_.end();) {
    it = it->second.handle == handle ? callbacks_.erase(it) : std::next(it);
  }
}

void FakeHostClient::DeliverEvents() {
  for (;;) {
    std::string message;
    if (!ReceiveMessage(lifeline_, &message)) return;  // no more events; a call will find the host gone
    WireReader r(std::move(message));
    const uint64_t id = r.Get<uint64_t>();
    hcs::HcsEvent event{};
    event.type = r.Get<uint32_t>();
    std::optional<std::wstring> data = r.GetWide();
    event.event_data = data ? data->c_str() : nullptr;
    event.operation = reinterpret_cast<void*>(static_cast<uintptr_t>(r.Get<uint64_t>()));
    Registration reg{};
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = callbacks_.find(id);
      if (it == callbacks_.end()) continue;  // its handle was closed meanwhile
      reg = it->second;
      delivering_ = id;
    }
    reg.callback(&event, reg.context);
    {
      std::lock_guard<std::mutex> lock(mu_);
      delivering_ = 0;
    }
    idle_.notify_all();
  }
}

}  // namespace silo::cri::fake_host
