#pragma once
// NamedPipeRelay: silod's CRI front door on Windows. kubelet and crictl dial
// only npipe:// (or tcp://), and gRPC C++ has no named-pipe transport, so
// silod serves the pipe itself and relays each connection, byte for byte, to
// the gRPC server's private loopback endpoint (design: "Reaching kubelet").
//
// The pipe's security descriptor admits only SYSTEM and BUILTIN\Administrators
// (SDDL "D:P(A;;GA;;;SY)(A;;GA;;;BA)"), remote clients are rejected, and the
// name is held by a PipeListener (pipe_listener_win32.h): the first instance
// is created with FILE_FLAG_FIRST_PIPE_INSTANCE and a dormant instance is kept
// open until Stop, so at no moment, also between two connections, can another
// process create the pipe under its own descriptor. Each connection gets two
// threads, one per direction, driving the portable PumpDirection (the same
// buffering and half-close rules the Linux pump is tested with); the pipe
// has no half-close, so when the upstream side ends the pipe is
// disconnected, and when the client ends the socket's send side is shut down.
//
// Win32 only (cross-compiled with mingw-w64; the test runs under Wine).
// Thread-safe; Stop() cancels pending I/O, closes every connection and joins
// its threads.

#include <winsock2.h>  // before windows.h, as winsock2.h demands
#include <windows.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "network/relay/relayed_peers.h"
#include "runtime/base/windows/named_pipe_win32.h"
#include "runtime/base/windows/pipe_listener_win32.h"
#include "runtime/base/windows/result.h"

namespace silo::network::relay {

struct NamedPipeRelayOptions {
  std::wstring pipe_name = L"\\\\.\\pipe\\silo";
  std::string upstream_host = "127.0.0.1";
  uint16_t upstream_port = 0;
  std::wstring sddl = win32::kSystemAndAdministratorsSddl;
  size_t buffer_size = 64 * 1024;
  // Where each upstream connection's local address is registered while it
  // lives, so that the gRPC server admits only relayed calls
  // (cri/grpc/relay_admission.h). silod always sets it; must outlive the relay.
  RelayedPeers* admitted = nullptr;
};

class NamedPipeRelay {
 public:
  static win32::Result<std::unique_ptr<NamedPipeRelay>> Start(NamedPipeRelayOptions options);
  ~NamedPipeRelay();
  NamedPipeRelay(const NamedPipeRelay&) = delete;
  NamedPipeRelay& operator=(const NamedPipeRelay&) = delete;

  void Stop();
  int64_t connections() const { return connections_.load(); }
  int64_t failed_dials() const { return failed_dials_.load(); }

 private:
  struct Connection;
  explicit NamedPipeRelay(NamedPipeRelayOptions options) : options_(std::move(options)) {}
  void AcceptLoop();
  void Serve(std::shared_ptr<Connection> c);

  const NamedPipeRelayOptions options_;
  std::unique_ptr<win32::PipeListener> listener_;
  HANDLE stop_event_ = nullptr;
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::shared_ptr<Connection>> live_;  // guarded by mu_
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  // Joins workers whose connection ended, so a long-lived daemon does not
  // accumulate finished threads. Requires mu_.
  void ReapLocked();
  std::vector<Worker> workers_;                    // guarded by mu_
  bool stopped_ = false;                           // guarded by mu_
  std::atomic<int64_t> connections_{0};
  std::atomic<int64_t> failed_dials_{0};
};

}  // namespace silo::network::relay
