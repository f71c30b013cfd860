#include "network/relay/npipe_relay_win32.h"

#include <sddl.h>
#include <ws2tcpip.h>

#include <utility>

#include "network/relay/pump_direction.h"

namespace silo::network::relay {
namespace {

using silo::win32::HrStatus;
using silo::win32::Result;

uint32_t HrFromWin32(DWORD err) { return err == 0 ? 0 : ((err & 0xFFFFu) | 0x80070000u); }

HrStatus LastError(const std::string& what) {
  DWORD err = GetLastError();
  return HrStatus(HrFromWin32(err), what + ": Win32 error " + std::to_string(err));
}

// One overlapped pipe read or write, waited for: the pipe is opened
// overlapped so Stop() can cancel it with CancelIoEx. Returns bytes moved,
// 0 at end of stream, -1 on error or cancellation.
long PipeIo(HANDLE pipe, bool write, char* data, DWORD len) {
  OVERLAPPED ov = {};
  ov.hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (ov.hEvent == nullptr) return -1;
  DWORD done = 0;
  BOOL ok = write ? WriteFile(pipe, data, len, &done, &ov) : ReadFile(pipe, data, len, &done, &ov);
  if (!ok && GetLastError() == ERROR_IO_PENDING) ok = GetOverlappedResult(pipe, &ov, &done, TRUE);
  DWORD err = ok ? 0 : GetLastError();
  CloseHandle(ov.hEvent);
  if (!ok) return (err == ERROR_BROKEN_PIPE || err == ERROR_PIPE_NOT_CONNECTED) && !write ? 0 : -1;
  return static_cast<long>(done);
}

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
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(r->options_.sddl.c_str(), SDDL_REVISION_1,
                                                            &r->security_descriptor_, nullptr)) {
    return LastError("parsing the pipe's security descriptor");
  }
  r->stop_event_ = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (r->stop_event_ == nullptr) return LastError("CreateEvent");
  Result<HANDLE> first = r->NewInstance(/*first=*/true);
  if (!first.ok()) return first.status();
  r->acceptor_ = std::thread([p = r.get(), h = *first] { p->AcceptLoop(h); });
  return r;
}

Result<HANDLE> NamedPipeRelay::NewInstance(bool first) {
  SECURITY_ATTRIBUTES sa = {};
  sa.nLength = sizeof(sa);
  sa.lpSecurityDescriptor = security_descriptor_;
  DWORD open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
  DWORD pipe_mode = PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS;
  const DWORD buf = static_cast<DWORD>(options_.buffer_size);
  HANDLE h = CreateNamedPipeW(options_.pipe_name.c_str(), open_mode, pipe_mode, PIPE_UNLIMITED_INSTANCES, buf, buf,
                              0, &sa);
  if (h == INVALID_HANDLE_VALUE) return LastError("CreateNamedPipe");
  return h;
}

void NamedPipeRelay::AcceptLoop(HANDLE instance) {
  HANDLE connected = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  for (;;) {
    OVERLAPPED ov = {};
    ResetEvent(connected);
    ov.hEvent = connected;
    bool ready = false;
    if (ConnectNamedPipe(instance, &ov)) {
      ready = true;
    } else if (GetLastError() == ERROR_PIPE_CONNECTED) {
      ready = true;  // the client came between create and connect
    } else if (GetLastError() == ERROR_IO_PENDING) {
      HANDLE waits[2] = {connected, stop_event_};
      DWORD w = WaitForMultipleObjects(2, waits, FALSE, INFINITE);
      if (w == WAIT_OBJECT_0) {
        DWORD ignored = 0;
        ready = GetOverlappedResult(instance, &ov, &ignored, FALSE) != 0;
      } else {
        CancelIoEx(instance, &ov);
        DWORD ignored = 0;
        GetOverlappedResult(instance, &ov, &ignored, TRUE);
        CloseHandle(instance);
        break;
      }
    }
    if (!ready) {
      CloseHandle(instance);
    } else {
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
    Result<HANDLE> next = NewInstance(/*first=*/false);
    if (!next.ok()) break;  // out of handles or stopping: no more clients
    instance = *next;
  }
  CloseHandle(connected);
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
          long n = PipeIo(c->pipe, /*write=*/false, space.data(), static_cast<DWORD>(space.size()));
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
        long n = PipeIo(c->pipe, /*write=*/true, const_cast<char*>(data.data()), static_cast<DWORD>(data.size()));
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
  if (stop_event_ != nullptr) CloseHandle(stop_event_);
  if (security_descriptor_ != nullptr) LocalFree(security_descriptor_);
  stop_event_ = nullptr;
  security_descriptor_ = nullptr;
  WSACleanup();
}

NamedPipeRelay::~NamedPipeRelay() { Stop(); }

}  // namespace silo::network::relay
