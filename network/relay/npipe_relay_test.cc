// NamedPipeRelay tests: a Windows executable (no GoogleTest in mingw-w64),
// run under Wine in CI. A loopback TCP echo server stands in for the gRPC
// server's private endpoint; clients talk to it through the pipe.
#include <winsock2.h>  // before windows.h, as winsock2.h demands
#include <ws2tcpip.h>
#include <windows.h>

#include <atomic>
#include <mutex>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "network/relay/npipe_relay_win32.h"
#include "runtime/windows/testing/win_check.h"

namespace {

using silo::network::relay::NamedPipeRelay;
using silo::network::relay::NamedPipeRelayOptions;
using silo::network::relay::RelayedPeers;

using silo::windows_testing::UnderWine;
#define CHECK(cond) SILO_WIN_CHECK(cond)

// Echoes every connection back until the client half-closes.
class EchoServer {
 public:
  EchoServer() {
    WSADATA wsa;
    WSAStartup(MAKEWORD(2, 2), &wsa);
    listener_ = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(listener_, 64);
    int len = sizeof(addr);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        sockaddr_in peer = {};
        int peer_len = sizeof(peer);
        SOCKET c = accept(listener_, reinterpret_cast<sockaddr*>(&peer), &peer_len);
        if (c == INVALID_SOCKET) return;
        {
          char ip[INET_ADDRSTRLEN] = {};
          inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof(ip));
          std::lock_guard<std::mutex> lock(mu_);
          last_peer_ = std::string("ipv4:") + ip + ":" + std::to_string(ntohs(peer.sin_port));
        }
        handlers_.emplace_back([c] {
          char buf[16384];
          for (;;) {
            int n = recv(c, buf, sizeof(buf), 0);
            if (n <= 0) break;
            for (int off = 0; off < n;) {
              int w = send(c, buf + off, n - off, 0);
              if (w <= 0) break;
              off += w;
            }
          }
          shutdown(c, SD_SEND);
          closesocket(c);
        });
      }
    });
  }
  ~EchoServer() {
    closesocket(listener_);
    thread_.join();
    for (auto& t : handlers_) t.join();
    WSACleanup();
  }
  uint16_t port() const { return port_; }
  // The last accepted connection's peer, spelled as gRPC's ServerContext::peer().
  std::string last_peer() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_peer_;
  }

 private:
  std::mutex mu_;
  std::string last_peer_;
  SOCKET listener_;
  uint16_t port_ = 0;
  std::thread thread_;
  std::vector<std::thread> handlers_;
};

std::wstring PipeName() {
  return L"\\\\.\\pipe\\silo-test-" + std::to_wstring(GetCurrentProcessId()) + L"-" +
         std::to_wstring(GetTickCount64());
}

HANDLE OpenPipe(const std::wstring& name) {
  for (int i = 0; i < 200; ++i) {
    HANDLE h = CreateFileW(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, 0, nullptr);
    if (h != INVALID_HANDLE_VALUE) return h;
    if (GetLastError() == ERROR_PIPE_BUSY) WaitNamedPipeW(name.c_str(), 1000); else Sleep(10);
  }
  return INVALID_HANDLE_VALUE;
}

// Sends `payload` through the pipe while reading the echo; true if the echo
// is byte-exact.
bool RoundTrip(const std::wstring& name, const std::string& payload) {
  HANDLE h = OpenPipe(name);
  if (h == INVALID_HANDLE_VALUE) return false;
  std::string echoed;
  std::thread reader([&] {
    char buf[8192];
    while (echoed.size() < payload.size()) {
      DWORD n = 0;
      if (!ReadFile(h, buf, sizeof(buf), &n, nullptr) || n == 0) break;
      echoed.append(buf, n);
    }
  });
  for (size_t off = 0; off < payload.size();) {
    DWORD n = 0;
    DWORD chunk = static_cast<DWORD>(std::min<size_t>(payload.size() - off, 7919));
    if (!WriteFile(h, payload.data() + off, chunk, &n, nullptr)) break;
    off += n;
  }
  reader.join();
  CloseHandle(h);
  return echoed == payload;
}

std::string Pattern(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  for (char& c : s) {
    seed = seed * 1664525u + 1013904223u;
    c = static_cast<char>(seed >> 24);
  }
  return s;
}

void LargeStreamIsByteExact(uint16_t port) {
  NamedPipeRelayOptions o;
  o.pipe_name = PipeName();
  o.upstream_port = port;
  auto relay = NamedPipeRelay::Start(o);
  CHECK(relay.ok());
  if (!relay.ok()) {
    std::printf("  %s\n", relay.status().ToString().c_str());
    return;
  }
  CHECK(RoundTrip(o.pipe_name, Pattern(3 << 20, 7)));
  CHECK((*relay)->connections() == 1);
}

void ManyConcurrentClients(uint16_t port) {
  NamedPipeRelayOptions o;
  o.pipe_name = PipeName();
  o.upstream_port = port;
  auto relay = NamedPipeRelay::Start(o);
  CHECK(relay.ok());
  if (!relay.ok()) return;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 20; ++i) {
    clients.emplace_back([&, i] {
      if (RoundTrip(o.pipe_name, Pattern(100000 + i * 1000, i))) ++ok;
    });
  }
  for (auto& t : clients) t.join();
  CHECK(ok.load() == 20);
  CHECK((*relay)->connections() == 20);
}

void SecondRelayCannotSquatTheName(uint16_t port) {
  NamedPipeRelayOptions o;
  o.pipe_name = PipeName();
  o.upstream_port = port;
  auto first = NamedPipeRelay::Start(o);
  CHECK(first.ok());
  auto second = NamedPipeRelay::Start(o);
  if (UnderWine() && second.ok()) {
    std::printf("  SKIPPED: Wine does not enforce FILE_FLAG_FIRST_PIPE_INSTANCE\n");
    return;
  }
  CHECK(!second.ok());  // FILE_FLAG_FIRST_PIPE_INSTANCE
}

// What another local server would do to take silod's pipe: create it for
// its own use. Windows refuses it while any instance lives
// (FILE_FLAG_FIRST_PIPE_INSTANCE); Wine 8 ignores that flag but refuses an
// instance whose access differs from the live ones'.
bool OtherServerGetsTheName(const std::wstring& name) {
  HANDLE h = CreateNamedPipeW(name.c_str(), PIPE_ACCESS_INBOUND | FILE_FLAG_FIRST_PIPE_INSTANCE,
                              PIPE_TYPE_BYTE | PIPE_WAIT, PIPE_UNLIMITED_INSTANCES, 512, 512, 0, nullptr);
  if (h == INVALID_HANDLE_VALUE) return false;
  CloseHandle(h);
  return true;
}

// The relay's dormant instance holds the name from Start to Stop, also while
// no client is connected and after each connection is closed.
void NoOtherServerGetsTheNameWhileTheRelayLives(uint16_t port) {
  NamedPipeRelayOptions o;
  o.pipe_name = PipeName();
  o.upstream_port = port;
  auto relay = NamedPipeRelay::Start(o);
  CHECK(relay.ok());
  if (!relay.ok()) return;
  CHECK(!OtherServerGetsTheName(o.pipe_name));
  for (int i = 0; i < 5; ++i) {
    CHECK(RoundTrip(o.pipe_name, Pattern(1000, static_cast<uint32_t>(i))));
    CHECK(!OtherServerGetsTheName(o.pipe_name));
  }
  CHECK((*relay)->connections() == 5);
  (*relay)->Stop();
  CHECK(OtherServerGetsTheName(o.pipe_name));  // free once silod's server is gone
}

void DeadUpstreamAndStop(uint16_t) {
  NamedPipeRelayOptions o;
  o.pipe_name = PipeName();
  o.upstream_port = 1;  // nothing listens there
  auto relay = NamedPipeRelay::Start(o);
  CHECK(relay.ok());
  if (!relay.ok()) return;
  HANDLE h = OpenPipe(o.pipe_name);
  CHECK(h != INVALID_HANDLE_VALUE);
  char c;
  DWORD n = 0;
  CHECK(!ReadFile(h, &c, 1, &n, nullptr) || n == 0);  // the relay hung up
  CloseHandle(h);
  CHECK((*relay)->failed_dials() == 1);
  (*relay)->Stop();  // returns once every thread is joined
}

// What the gRPC server's admission check relies on: the relay registers the
// very address the server sees as the peer, before the first byte, and
// withdraws it when the connection ends.
void UpstreamAddressIsAdmittedWhileTheConnectionLives(EchoServer& echo) {
  RelayedPeers admitted;
  NamedPipeRelayOptions o;
  o.pipe_name = PipeName();
  o.upstream_port = echo.port();
  o.admitted = &admitted;
  auto relay = NamedPipeRelay::Start(o);
  CHECK(relay.ok());
  if (!relay.ok()) return;
  HANDLE h = OpenPipe(o.pipe_name);
  CHECK(h != INVALID_HANDLE_VALUE);
  DWORD n = 0;
  CHECK(WriteFile(h, "x", 1, &n, nullptr) && n == 1);
  char c = 0;
  CHECK(ReadFile(h, &c, 1, &n, nullptr) && n == 1 && c == 'x');  // the echo came back: upstream is live
  CHECK(admitted.size() == 1);
  CHECK(admitted.Admits(echo.last_peer()));
  CHECK(!admitted.Admits("ipv4:127.0.0.1:1"));
  CloseHandle(h);
  for (int i = 0; i < 500 && admitted.size() != 0; ++i) Sleep(10);
  CHECK(admitted.size() == 0);
  CHECK(!admitted.Admits(echo.last_peer()));
  (*relay)->Stop();
}

void BadSecurityDescriptorIsAnError(uint16_t port) {
  NamedPipeRelayOptions o;
  o.pipe_name = PipeName();
  o.upstream_port = port;
  o.sddl = L"D:(this is not SDDL";
  auto relay = NamedPipeRelay::Start(o);
  CHECK(!relay.ok());
  if (!relay.ok()) CHECK(relay.status().message().find("security descriptor") != std::string::npos);
}

}  // namespace

int main() {
  EchoServer echo;
  const uint16_t port = echo.port();
  const silo::windows_testing::WinTest tests[] = {
      {"LargeStreamIsByteExact", [&] { LargeStreamIsByteExact(port); }},
      {"ManyConcurrentClients", [&] { ManyConcurrentClients(port); }},
      {"SecondRelayCannotSquatTheName", [&] { SecondRelayCannotSquatTheName(port); }},
      {"NoOtherServerGetsTheNameWhileTheRelayLives", [&] { NoOtherServerGetsTheNameWhileTheRelayLives(port); }},
      {"DeadUpstreamAndStop", [&] { DeadUpstreamAndStop(port); }},
      {"BadSecurityDescriptorIsAnError", [&] { BadSecurityDescriptorIsAnError(port); }},
      {"UpstreamAddressIsAdmittedWhileTheConnectionLives", [&] { UpstreamAddressIsAdmittedWhileTheConnectionLives(echo); }},
  };
  return silo::windows_testing::RunWinTests(tests);
}
