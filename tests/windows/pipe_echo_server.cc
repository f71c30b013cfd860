// pipe_echo_server.exe: the other end for pipe_loopback_client's test. It
// serves \\.\pipe\<name> with a fixed number of instances, each echoing
// every byte back until its client disconnects, then taking the next
// client on the same instance (so a client arriving meanwhile sees
// ERROR_PIPE_BUSY, the case kubelet's dialer waits out).
//
//   pipe_echo_server.exe \\.\pipe\NAME [INSTANCES]
// prints "ready" once every instance exists; runs until killed.
#include <windows.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

void Serve(HANDLE pipe) {
  for (;;) {
    if (!ConnectNamedPipe(pipe, nullptr) && GetLastError() != ERROR_PIPE_CONNECTED) {
      Sleep(10);
      continue;
    }
    char buf[16 * 1024];
    DWORD n = 0;
    while (ReadFile(pipe, buf, sizeof(buf), &n, nullptr) && n > 0) {
      DWORD written = 0;
      if (!WriteFile(pipe, buf, n, &written, nullptr) || written != n) break;
    }
    FlushFileBuffers(pipe);
    DisconnectNamedPipe(pipe);
  }
}

}  // namespace

int wmain(int argc, wchar_t** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: pipe_echo_server.exe \\\\.\\pipe\\NAME [INSTANCES]\n");
    return 2;
  }
  const int instances = argc > 2 ? _wtoi(argv[2]) : 4;
  std::vector<std::thread> threads;
  for (int i = 0; i < instances; ++i) {
    HANDLE pipe = CreateNamedPipeW(argv[1], PIPE_ACCESS_DUPLEX | (i == 0 ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0),
                                   PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
                                   static_cast<DWORD>(instances), 64 * 1024, 64 * 1024, 0, nullptr);
    if (pipe == INVALID_HANDLE_VALUE) {
      std::fprintf(stderr, "pipe_echo_server: CreateNamedPipeW %ls: error %lu\n", argv[1], GetLastError());
      return 1;
    }
    threads.emplace_back(Serve, pipe);
  }
  std::printf("ready\n");
  std::fflush(stdout);
  for (auto& t : threads) t.join();
  return 0;
}
