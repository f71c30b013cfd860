// pipe_loopback_client.exe: a test helper that lets a Linux process reach a
// named pipe served inside Wine. Wine's sockets are host sockets, but its
// named pipes live in wineserver, out of reach of Linux programs, and gRPC
// C++ has no pipe client. So this listens on 127.0.0.1:<port> and relays each
// TCP connection to the pipe, opening the pipe as kubelet's go-winio does:
// CreateFileW(GENERIC_READ|GENERIC_WRITE, no sharing, OPEN_EXISTING,
// FILE_FLAG_OVERLAPPED|SECURITY_SQOS_PRESENT|SECURITY_ANONYMOUS), and while
// every instance is busy (ERROR_PIPE_BUSY) waiting with WaitNamedPipeW until
// a deadline. What silod's pipe accepts from this helper, it accepts from
// kubelet.
//
//   pipe_loopback_client.exe --pipe \\.\pipe\silo [--port 0] [--dial-timeout-ms 5000]
// prints "listening on 127.0.0.1:<port>" once it accepts connections, then
// serves until killed. A connection whose pipe cannot be opened is closed
// at once (the client sees EOF) and the reason is printed.
#include <winsock2.h>
#include <windows.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace {

struct Options {
  std::wstring pipe;
  int port = 0;
  DWORD dial_timeout_ms = 5000;
};

// Opens the pipe as a client; INVALID_HANDLE_VALUE with the error printed
// when it does not exist or stays busy past the deadline.
HANDLE DialPipe(const Options& o) {
  const ULONGLONG deadline = GetTickCount64() + o.dial_timeout_ms;
  for (;;) {
    HANDLE h = CreateFileW(o.pipe.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                           FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_ANONYMOUS, nullptr);
    if (h != INVALID_HANDLE_VALUE) return h;
    const DWORD error = GetLastError();
    const ULONGLONG now = GetTickCount64();
    if (error != ERROR_PIPE_BUSY || now >= deadline) {
      std::printf("dial %ls: error %lu%s\n", o.pipe.c_str(), error, error == ERROR_PIPE_BUSY ? " (busy)" : "");
      std::fflush(stdout);
      return INVALID_HANDLE_VALUE;
    }
    // Every instance is connected: wait for one to be free, then race the
    // other waiting clients for it (a lost race is ERROR_PIPE_BUSY again).
    WaitNamedPipeW(o.pipe.c_str(), static_cast<DWORD>(deadline - now));
  }
}

// One overlapped read or write on the pipe, waited for; false on EOF/error.
bool PipeIo(HANDLE pipe, bool write, char* buf, DWORD size, DWORD* done) {
  OVERLAPPED ov{};
  ov.hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  BOOL ok = write ? WriteFile(pipe, buf, size, nullptr, &ov) : ReadFile(pipe, buf, size, nullptr, &ov);
  if (!ok && GetLastError() == ERROR_IO_PENDING) ok = TRUE;
  if (ok) ok = GetOverlappedResult(pipe, &ov, done, TRUE);
  CloseHandle(ov.hEvent);
  return ok && (*done > 0 || write);
}

// Pumps both ways until either side ends, then tears both down: a closed
// TCP side cancels the pipe read, a closed pipe shuts the socket down.
void Relay(SOCKET sock, HANDLE pipe) {
  std::thread to_pipe([&] {
    char buf[64 * 1024];
    for (;;) {
      const int n = recv(sock, buf, sizeof(buf), 0);
      if (n <= 0) break;
      DWORD written = 0;
      if (!PipeIo(pipe, true, buf, static_cast<DWORD>(n), &written) || written != static_cast<DWORD>(n)) break;
    }
    CancelIoEx(pipe, nullptr);
  });
  char buf[64 * 1024];
  for (;;) {
    DWORD n = 0;
    if (!PipeIo(pipe, false, buf, sizeof(buf), &n)) break;
    int sent = 0;
    while (sent < static_cast<int>(n)) {
      const int s = send(sock, buf + sent, static_cast<int>(n) - sent, 0);
      if (s <= 0) break;
      sent += s;
    }
    if (sent < static_cast<int>(n)) break;
  }
  shutdown(sock, SD_BOTH);
  to_pipe.join();
  CloseHandle(pipe);
  closesocket(sock);
}

bool ParseArgs(int argc, wchar_t** argv, Options* o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::wstring flag = argv[i];
    if (flag == L"--pipe") {
      o->pipe = argv[i + 1];
    } else if (flag == L"--port") {
      o->port = _wtoi(argv[i + 1]);
    } else if (flag == L"--dial-timeout-ms") {
      o->dial_timeout_ms = static_cast<DWORD>(_wtoi(argv[i + 1]));
    } else {
      return false;
    }
  }
  return (argc % 2) == 1 && !o->pipe.empty();
}

}  // namespace

int wmain(int argc, wchar_t** argv) {
  Options o;
  if (!ParseArgs(argc, argv, &o)) {
    std::fprintf(stderr, "usage: pipe_loopback_client.exe --pipe \\\\.\\pipe\\NAME [--port N] [--dial-timeout-ms MS]\n");
    return 2;
  }
  WSADATA wsa;
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) return 1;
  SOCKET listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // loopback only: the helper has no access control
  addr.sin_port = htons(static_cast<u_short>(o.port));
  if (listener == INVALID_SOCKET || bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listener, SOMAXCONN) != 0) {
    std::fprintf(stderr, "pipe_loopback_client: cannot listen on 127.0.0.1:%d: error %d\n", o.port, WSAGetLastError());
    return 1;
  }
  int len = sizeof(addr);
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::printf("listening on 127.0.0.1:%d\n", ntohs(addr.sin_port));
  std::fflush(stdout);
  for (;;) {
    SOCKET client = accept(listener, nullptr, nullptr);
    if (client == INVALID_SOCKET) continue;
    std::thread([client, o] {
      HANDLE pipe = DialPipe(o);
      if (pipe == INVALID_HANDLE_VALUE) {
        closesocket(client);
        return;
      }
      Relay(client, pipe);
    }).detach();
  }
}
