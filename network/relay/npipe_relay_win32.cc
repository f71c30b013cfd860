#include "network/relay/npipe_relay_win32.h"

#include <ws2tcpip.h>

#include <utility>

#include "network/relay/pump_direction.h"

namespace silo::network::relay {
namespace {

using silo::win32::HrStatus;
using silo::win32::LastErrorStatus;
using silo::win32::OverlappedTransfer;
using silo::win32::Result;

SOCKET Dial(const std::string& host, uint16_t port) {
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (s == INVALID_SOCKET) return s;
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
      connect(s, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    closesocket(s);
    return INVALID_SOCKET;
  }
  return s;
}

// The address the server sees as this connection's peer.
bool LocalAddress(SOCKET s, std::string* ipv4, uint16_t* port) {
  sockaddr_in addr = {};
  int len = sizeof(addr);
  if (getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || addr.sin_family != AF_INET) return false;
  char text[INET_ADDRSTRLEN] = {};
  if (inet_ntop(AF_INET, &addr.sin_addr, text, sizeof(text)) == nullptr) return false;
  *ipv4 = text;
  *port = ntohs(addr.sin_port);
  return true;
}

}  // namespace

struct NamedPipeRelay::Connection {
  HANDLE pipe = INVALID_HANDLE_VALUE;
  SOCKET sock = INVALID_SOCKET;
  std::atomic<bool> closing{false};

  // Ends both directions at once: pending pipe I/O is cancelled, the
  // socket is shut down. Safe to call from any thread, more than once.
  void Abort() {
    closing = true;
    if (pipe != INVALID_HANDLE_VALUE) CancelIoEx(pipe, nullptr);
    if (sock != INVALID_SOCKET) shutdown(sock, SD_BOTH);
  }
};

Result<std::unique_ptr<NamedPipeRelay>> NamedPipeRelay::Start(NamedPipeRelayOptions options) {
  WSADATA wsa;
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) return HrStatus(0x80004005u, "WSAStartup failed");
  std::unique_ptr<NamedPipeRelay> r(new NamedPipeRelay(std::move(options)));
  r->stop_event_ = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (r->stop_event_ == nullptr) return LastErrorStatus("CreateEvent");
  auto listener = win32::PipeListener::Create(r->options_.pipe_name, r->options_.sddl,
                                              static_cast<DWORD>(r->options_.buffer_size));
  if (!listener.ok()) return listener.status();
  r->listener_ = std::move(*listener);
  r->acceptor_ = std::thread([p = r.get()] { p->AcceptLoop(); });
  return r;
}

void NamedPipeRelay::AcceptLoop() {
  for (;;) {
    Result<HANDLE> accepted = listener_->Accept(stop_event_);
    if (!accepted.ok() || *accepted == nullptr) break;  // stopped, or out of handles: no more clients
    const HANDLE instance = *accepted;
    {
      auto c = std::make_shared<Connection>();
      c->pipe = instance;
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) {
        CloseHandle(instance);
        break;
      }
      ++connections_;
      live_.push_back(c);
      ReapLocked();
      auto done = std::make_shared<std::atomic<bool>>(false);
      workers_.push_back({std::thread([this, c, done] {
                            Serve(c);
                            *done = true;
                          }),
                          done});
    }
  }
}

void NamedPipeRelay::Serve(std::shared_ptr<Connection> c) {
  c->sock = Dial(options_.upstream_host, options_.upstream_port);
  std::string peer_ip;
  uint16_t peer_port = 0;
  if (c->sock != INVALID_SOCKET && options_.admitted != nullptr && !LocalAddress(c->sock, &peer_ip, &peer_port)) {
    closesocket(c->sock);
    c->sock = INVALID_SOCKET;
  }
  if (c->sock == INVALID_SOCKET) {
    ++failed_dials_;
  } else {
    // Admitted before the first byte reaches the server, withdrawn before the
    // socket closes (after that the address could belong to another client).
    if (options_.admitted != nullptr) options_.admitted->Add(peer_ip, peer_port);
    // Client -> upstream on this thread's helper, upstream -> client here.
    std::thread up([&] {
      PumpDirection d(options_.buffer_size);
      while (!d.Done() && !c->closing) {
        if (d.WantsRead()) {
          auto space = d.ReadSpace();
          int64_t n = OverlappedTransfer(c->pipe, /*write=*/false, space.data(), static_cast<DWORD>(space.size()));
          if (n < 0) break;
          if (n == 0) d.OnSourceEof(); else d.CommitRead(static_cast<size_t>(n));
        }
        while (d.WantsWrite()) {
          auto data = d.WriteData();
          int n = send(c->sock, data.data(), static_cast<int>(data.size()), 0);
          if (n <= 0) {
            d.Abandon();
            break;
          }
          d.CommitWrite(static_cast<size_t>(n));
        }
        if (d.ShouldShutdownSink()) {
          shutdown(c->sock, SD_SEND);
          d.OnSinkShutdown();
        }
      }
    });
    PumpDirection d(options_.buffer_size);
    while (!d.Done() && !c->closing) {
      if (d.WantsRead()) {
        auto space = d.ReadSpace();
        int n = recv(c->sock, space.data(), static_cast<int>(space.size()), 0);
        if (n < 0) break;
        if (n == 0) d.OnSourceEof(); else d.CommitRead(static_cast<size_t>(n));
      }
      bool failed = false;
      while (d.WantsWrite()) {
        auto data = d.WriteData();
        int64_t n = OverlappedTransfer(c->pipe, /*write=*/true, const_cast<char*>(data.data()), static_cast<DWORD>(data.size()));
        if (n <= 0) {
          failed = true;
          break;
        }
        d.CommitWrite(static_cast<size_t>(n));
      }
      if (failed) break;
      if (d.ShouldShutdownSink()) {
        // A pipe has no half-close: the server ended the conversation, so
        // the client gets everything that was sent and then a disconnect.
        FlushFileBuffers(c->pipe);
        d.OnSinkShutdown();
      }
    }
    c->Abort();
    up.join();
    if (options_.admitted != nullptr) options_.admitted->Remove(peer_ip, peer_port);
    closesocket(c->sock);
  }
  DisconnectNamedPipe(c->pipe);
  CloseHandle(c->pipe);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = live_.begin(); it != live_.end(); ++it) {
    if (it->get() == c.get()) {
      live_.erase(it);
      break;
    }
  }
}

void NamedPipeRelay::ReapLocked() {
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (it->done->load()) {
      it->thread.join();
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
}

void NamedPipeRelay::Stop() {
  std::vector<Worker> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    for (auto& c : live_) c->Abort();
  }
  if (stop_event_ != nullptr) SetEvent(stop_event_);
  if (acceptor_.joinable()) acceptor_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& c : live_) c->Abort();
    workers.swap(workers_);
  }
  for (auto& w : workers) w.thread.join();
  listener_.reset();  // the name is free from here on
  if (stop_event_ != nullptr) CloseHandle(stop_event_);
  stop_event_ = nullptr;
  WSACleanup();
}

NamedPipeRelay::~NamedPipeRelay() { Stop(); }

}  // namespace silo::network::relay
