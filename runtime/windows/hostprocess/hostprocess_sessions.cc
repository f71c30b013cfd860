#include "runtime/windows/hostprocess/hostprocess_sessions.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "runtime/windows/shim/exec_output_limits.h"
#include "runtime/windows/shim/output_tap.h"
#include "runtime/windows/shim/stdin_feeder.h"

namespace silo::runtime::windows::hostprocess {
namespace {

namespace wire = runtime::shim;
using shim::Duplex;
using shim::SessionFrame;
using shim::SessionFrameType;
using shim::SessionStart;
using shim::SessionWriter;

shim::SessionStart Refused(int code, std::string message) {
  SessionStart start;
  start.response.code = code;
  start.response.message = std::move(message);
  return start;
}

// The exec's output, from the moment its process starts: held until the
// session's writer exists (the response goes out first), then sent as it
// comes. A send that fails means silod's side is gone.
class ExecOutput {
 public:
  OutputPump::Sink Sink(SessionFrameType type) {
    return [this, type](std::string_view chunk) { Deliver(type, chunk); };
  }
  // From now on output goes to `writer`; `on_gone` runs when a send fails.
  void Connect(SessionWriter* writer, std::function<void()> on_gone) {
    std::lock_guard<std::mutex> lock(mu_);
    writer_ = writer;
    on_gone_ = std::move(on_gone);
    for (auto& [type, data] : held_) Send(type, data);
    held_.clear();
  }
  void Disconnect() {
    std::lock_guard<std::mutex> lock(mu_);
    writer_ = nullptr;
  }

 private:
  void Deliver(SessionFrameType type, std::string_view chunk) {
    std::lock_guard<std::mutex> lock(mu_);
    if (writer_ != nullptr) {
      Send(type, chunk);
    } else if (held_bytes_ < shim::kMaxExecOutputBytes) {
      held_bytes_ += chunk.size();
      held_.emplace_back(type, std::string(chunk));
    }
  }
  void Send(SessionFrameType type, std::string_view chunk) {
    if (!writer_->Send(type, chunk) && on_gone_) on_gone_();
  }

  std::mutex mu_;
  SessionWriter* writer_ = nullptr;                            // guarded by mu_
  std::function<void()> on_gone_;                              // guarded by mu_
  std::vector<std::pair<SessionFrameType, std::string>> held_;  // guarded by mu_
  size_t held_bytes_ = 0;                                      // guarded by mu_
};

// The exec process's stdin pipe (null: none, input is dropped), written by
// the session's shim::StdinFeeder and closed at EOF or the session's end. A
// cancel is made only while a write holds the handle, so it never reaches a
// closed one.
class ExecStdin {
 public:
  ExecStdin(const ProcessApi& api, void* handle) : api_(api), handle_(handle) {}
  ~ExecStdin() { Close(); }
  ExecStdin(const ExecStdin&) = delete;
  ExecStdin& operator=(const ExecStdin&) = delete;

  // What a process does not take is dropped (it exited, or was cancelled).
  void Write(std::string_view data, const std::atomic<bool>* abandoned) {
    void* handle = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (handle_ == nullptr || *abandoned) return;
      handle = handle_;
      writing_ = true;
    }
    (void)api_.write_file(handle, data.data(), static_cast<uint32_t>(data.size()));
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
  }
  void Cancel() {
    std::lock_guard<std::mutex> lock(mu_);
    if (writing_ && handle_ != nullptr) api_.cancel_io(handle_);
  }
  // Called by the feeder's thread at EOF, or once the feeder has stopped: no
  // write is under way.
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    if (handle_ != nullptr) api_.close_handle(std::exchange(handle_, nullptr));
  }

 private:
  const ProcessApi& api_;
  std::mutex mu_;
  void* handle_;          // guarded by mu_
  bool writing_ = false;  // guarded by mu_
};

struct ExecSession {
  ~ExecSession() {
    if (launched.process == nullptr) return;
    // The session never ran (the connection broke first): end the process.
    const ProcessApi& api = monitor->api();
    api.terminate_process(launched.process, kTerminatedExitCode);
    api.wait_for_single_object(launched.process, kInfinite);
    CloseConsole(api, launched);
    launched.stdout_pump->JoinFor(shim::kCopyAfterExit);
    if (launched.stderr_pump) launched.stderr_pump->JoinFor(shim::kCopyAfterExit);
    if (launched.stdin_write != nullptr) api.close_handle(launched.stdin_write);
    api.close_handle(launched.process);
  }
  HostProcessMonitor* monitor = nullptr;
  LaunchedInJob launched;
  ExecOutput output;
};

void RunExec(ExecSession& session, Duplex& conn) {
  const ProcessApi& api = session.monitor->api();
  LaunchedInJob& p = session.launched;
  SessionWriter out(conn);
  std::atomic<bool> finished{false};
  std::atomic<bool> gone{false};
  // Nobody watches the process any more: it must not run on unobserved.
  auto on_gone = [&] {
    if (finished || gone.exchange(true)) return;
    api.terminate_process(p.process, kTerminatedExitCode);
  };
  session.output.Connect(&out, on_gone);
  ExecStdin stdin_pipe(api, std::exchange(p.stdin_write, nullptr));
  shim::StdinFeeder stdin_feeder({
      [&](std::string_view data, const std::atomic<bool>* abandoned) { stdin_pipe.Write(data, abandoned); },
      [&] { stdin_pipe.Close(); },
      [&](const std::atomic<bool>*) { stdin_pipe.Cancel(); },
  });
  // The pseudo console, closed once the process has exited; a resize
  // never reaches a closed one.
  std::mutex console_mu;
  void* console = std::exchange(p.console, nullptr);  // guarded by console_mu
  // Frames are read on their own thread, so the client leaving is noticed
  // even while a write to the process's stdin blocks.
  std::thread input([&] {
    while (std::optional<SessionFrame> f = shim::ReadSessionFrame(conn)) {
      uint16_t width = 0, height = 0;
      if (f->type == SessionFrameType::kStdin) {
        stdin_feeder.Push(std::move(f->payload));
      } else if (f->type == SessionFrameType::kStdinEof) {
        stdin_feeder.PushEof();
      } else if (f->type == SessionFrameType::kResize && shim::ParseResize(f->payload, &width, &height) &&
                 width != 0 && height != 0) {
        std::lock_guard<std::mutex> lock(console_mu);
        if (console != nullptr) (void)api.resize_pseudo_console(console, width, height);
      }
      // Other frames are the other direction's.
    }
    if (!finished) on_gone();  // end of stream before the exit: the client left
  });
  api.wait_for_single_object(p.process, kInfinite);
  uint32_t code = 0;
  const bool have_code = api.get_exit_code_process(p.process, &code) != 0;
  // As hcsshim: closing the console flushes its last output and ends it.
  // Closed outside the lock: before Windows 11 24H2 the close waits for
  // conhost to drain its output, and a resize must not wait on that.
  void* closing = nullptr;
  {
    std::lock_guard<std::mutex> lock(console_mu);
    closing = std::exchange(console, nullptr);
  }
  if (closing != nullptr) api.close_pseudo_console(closing);
  // Its input only now: a break of it while the console ran would end the process.
  if (p.console_input != nullptr) api.close_handle(std::exchange(p.console_input, nullptr));
  p.stdout_pump->JoinFor(shim::kCopyAfterExit);
  if (p.stderr_pump) p.stderr_pump->JoinFor(shim::kCopyAfterExit);
  finished = true;
  session.output.Disconnect();
  if (have_code) {
    (void)out.Send(SessionFrameType::kExit, shim::ExitPayload(code));
  } else {
    (void)out.Send(SessionFrameType::kFailed, "the exec process's exit code is unknown");
  }
  // The feeder first: the reader may be waiting to queue a frame.
  conn.CancelRead();
  stdin_feeder.Stop();
  input.join();
  stdin_pipe.Close();
  api.close_handle(p.process);
  p.process = nullptr;
}

void RunAttach(HostProcessMonitor& monitor, Duplex& conn) {
  SessionWriter out(conn);
  shim::QueueTap tap;
  const bool tapped = monitor.AddOutputTap(&tap);
  std::thread input([&] {
    // The main process has no stdin, and no console to resize: frames are
    // read only to notice the client leaving.
    while (shim::ReadSessionFrame(conn)) {
    }
    tap.Cancel();
  });
  shim::QueueTap::Next next = tapped ? shim::QueueTap::Next::kChunk : shim::QueueTap::Next::kEnded;
  while (tapped) {
    shim::LogStream stream = shim::LogStream::kStdout;
    std::string chunk;
    next = tap.Pop(&stream, &chunk);
    if (next != shim::QueueTap::Next::kChunk) break;
    const SessionFrameType type =
        stream == shim::LogStream::kStdout ? SessionFrameType::kStdout : SessionFrameType::kStderr;
    if (!out.Send(type, chunk)) {
      next = shim::QueueTap::Next::kCancelled;
      break;
    }
  }
  if (tapped) monitor.RemoveOutputTap(&tap);
  if (next == shim::QueueTap::Next::kEnded) {
    const HostProcessStatus status = monitor.Status();
    (void)out.Send(SessionFrameType::kExit, shim::ExitPayload(status.exit ? status.exit->exit_code : -1));
  } else if (next == shim::QueueTap::Next::kOverflowed) {
    (void)out.Send(SessionFrameType::kFailed, "attach fell more than 4 MiB behind the container's output");
  }
  conn.CancelRead();
  input.join();
}

}  // namespace

SessionStart StartHostProcessSession(HostProcessMonitor& monitor, const wire::Request& request) {
  if (request.op == wire::Op::kAttach) {
    // As containerd: only a running container can be attached to.
    const HostProcessState state = monitor.Status().state;
    if (state != HostProcessState::kRunning) {
      return Refused(wire::kCodeFailedPrecondition, state == HostProcessState::kCreated
                                                        ? "attach: the container has not started"
                                                        : "attach: the container is not running");
    }
    SessionStart start;
    start.run = [&monitor](Duplex& conn) { RunAttach(monitor, conn); };
    return start;
  }
  if (request.op != wire::Op::kExec || !request.stream) {
    return Refused(wire::kCodeInvalidArgument,
                   std::string("shim op ") + wire::OpName(request.op) + " does not open a session");
  }
  if (request.args.empty()) return Refused(wire::kCodeInvalidArgument, "exec needs a command");
  auto session = std::make_shared<ExecSession>();
  session->monitor = &monitor;
  LaunchStdio stdio;
  stdio.open_stdin = wire::RequestWantsStdin(request);
  stdio.tty = request.tty;
  // The first size the client sent, if any (else 80x25).
  stdio.width = static_cast<uint16_t>(std::min<uint32_t>(request.width, 0x7FFF));
  stdio.height = static_cast<uint16_t>(std::min<uint32_t>(request.height, 0x7FFF));
  absl::StatusOr<LaunchedInJob> launched =
      monitor.LaunchSessionProcess(request.args, stdio,
                                   session->output.Sink(SessionFrameType::kStdout),
                                   session->output.Sink(SessionFrameType::kStderr));
  if (!launched.ok()) {
    return Refused(static_cast<int>(launched.status().code()), std::string(launched.status().message()));
  }
  session->launched = *std::move(launched);
  SessionStart start;
  start.response.pid = static_cast<int>(session->launched.pid);
  start.run = [session](Duplex& conn) { RunExec(*session, conn); };
  return start;
}

}  // namespace silo::runtime::windows::hostprocess
