#pragma once
// ShimPipeServer: the monitor's side of \\.\pipe\silo-shim-<id>. The pipe
// admits only SYSTEM and Administrators (the CRI pipe's descriptor, shared
// through runtime/base/windows/named_pipe_win32.h), only local clients, and
// a dormant first instance holds the name for the monitor's whole life
// (PipeListener), so no other process can serve it.
// Each connection gets a thread that reads request frames, calls `handler`
// and writes the response, in order, until the client disconnects (a
// `wait` holds its connection, as on Linux). The acceptor joins the threads
// of ended connections as it accepts the next, so a monitor that serves
// silod for months holds only the threads of live connections. A bad frame or request gets an
// InvalidArgument response; an oversized frame ends the connection.
// Win32 only. Stop() ends every connection and joins; a handler in
// progress gets a few seconds to have its response written (the answer to
// `shutdown` must reach silod); thread-safe.

#include <windows.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/base/windows/named_pipe_win32.h"
#include "runtime/base/windows/pipe_listener_win32.h"
#include "runtime/base/windows/result.h"
#include "runtime/shim/core/protocol_codec.h"
#include "runtime/windows/shim/session_frames.h"

namespace silo::runtime::windows::shim {

class ShimPipeServer {
 public:
  // Runs on a connection's thread; may block (wait, exec).
  using Handler = std::function<runtime::shim::Response(const runtime::shim::Request&)>;
  // Session requests (IsSessionRequest): the response is written, then the
  // session runs on the connection, which ends with it. Null: such
  // requests go to `handler` like any other.
  using SessionHandler = std::function<SessionStart(const runtime::shim::Request&)>;

  static win32::Result<std::unique_ptr<ShimPipeServer>> Start(
      std::wstring pipe_name, Handler handler, std::wstring sddl = win32::kSystemAndAdministratorsSddl,
      SessionHandler sessions = nullptr);
  ~ShimPipeServer();
  ShimPipeServer(const ShimPipeServer&) = delete;
  ShimPipeServer& operator=(const ShimPipeServer&) = delete;

  void Stop();
  // Threads of connections not joined yet (live ones, and ended ones until
  // the next accept): for tests.
  size_t worker_threads() const;

 private:
  ShimPipeServer(std::wstring name, Handler handler, SessionHandler sessions)
      : name_(std::move(name)), handler_(std::move(handler)), sessions_(std::move(sessions)) {}
  void AcceptLoop();
  void Serve(HANDLE pipe, uint64_t id);
  void ReapWorkers();

  const std::wstring name_;
  const Handler handler_;
  const SessionHandler sessions_;
  std::unique_ptr<win32::PipeListener> listener_;  // used by the acceptor only, until Stop joins it
  HANDLE stop_event_ = nullptr;
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::vector<HANDLE> live_;                 // guarded by mu_: connected pipes, for Stop
  std::map<uint64_t, std::thread> workers_;  // guarded by mu_
  std::vector<uint64_t> finished_;           // guarded by mu_: workers that have returned
  std::set<HANDLE> answering_;               // guarded by mu_: connections between request and response
  uint64_t next_worker_ = 0;                 // guarded by mu_
  bool stopped_ = false;                     // guarded by mu_
};

}  // namespace silo::runtime::windows::shim
