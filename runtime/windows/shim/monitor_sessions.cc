#include "runtime/windows/shim/monitor_sessions.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "runtime/windows/hresult_codes.h"
#include "runtime/windows/shim/monitor_requests.h"
#include "runtime/windows/shim/output_tap.h"
#include "runtime/windows/shim/stdin_feeder.h"
#include "runtime/windows/shim/stdin_pipe.h"

namespace silo::runtime::windows::shim {
namespace {

namespace wire = runtime::shim;
using win32::HrStatus;

constexpr std::chrono::seconds kSessionCallTimeout{60};
constexpr std::chrono::seconds kSessionTerminateGrace{10};
// As ContainerMonitor::Exec: output a child still holds open after the exit
// is not waited for longer than this (hcsshim's CopyAfterExitTimeout).
constexpr std::chrono::seconds kSessionCopyAfterExit{1};

Deadline SessionDeadline(std::chrono::seconds d) { return hcs::Clock::now() + d; }

Response SessionError(int code, std::string message) {
  Response r;
  r.code = code;
  r.message = std::move(message);
  return r;
}

// Reads the client's frames until its stream ends: stdin into `feeder`,
// console sizes to `resize`; frames of the other direction are ignored.
void ReadClientInput(Duplex& conn, StdinFeeder& feeder, const std::function<void(uint16_t, uint16_t)>& resize) {
  while (std::optional<SessionFrame> f = ReadSessionFrame(conn)) {
    uint16_t width = 0, height = 0;
    if (f->type == SessionFrameType::kStdin) {
      feeder.Push(std::move(f->payload));
    } else if (f->type == SessionFrameType::kStdinEof) {
      feeder.PushEof();
    } else if (f->type == SessionFrameType::kResize && ParseResize(f->payload, &width, &height)) {
      resize(width, height);
    }
  }
}

void RunExec(ContainerMonitor& monitor, std::shared_ptr<hcs::Process> process, bool tty, Duplex& conn) {
  const hcs::HcsApi& api = monitor.api();
  const hcs::StdioIo& io = monitor.io();
  hcs::StdioHandles stdio = process->TakeStdio();
  SessionWriter out(conn);
  std::atomic<bool> finished{false};
  std::atomic<bool> gone{false};
  // Nobody watches the process any more: it must not run on unobserved
  // (containerd kills an exec whose stream ended, too).
  auto on_gone = [&] {
    if (finished || gone.exchange(true)) return;
    (void)process->Terminate(SessionDeadline(kSessionTerminateGrace));
  };
  auto sink = [&](SessionFrameType type) {
    return [&, type](std::string_view chunk) {
      if (!out.Send(type, chunk)) on_gone();
    };
  };
  OutputDrain stdout_drain(api, io, stdio.std_output, sink(SessionFrameType::kStdout));
  OutputDrain stderr_drain(api, io, stdio.std_error, sink(SessionFrameType::kStderr));
  StdinPipe in(api, io, stdio.std_input);
  StdinFeeder feeder({
      // A process that stops reading holds the client back (the feeder's
      // queue fills); at the session's end what is left is dropped.
      [&](std::string_view data, const std::atomic<bool>* abandoned) { (void)in.Write(data, abandoned); },
      [&] {
        if (!in.open()) return;
        (void)process->CloseStdin(SessionDeadline(kSessionCallTimeout));
        in.Close();
      },
      [&](const std::atomic<bool>* abandoned) { in.CancelWrites(abandoned); },
  });
  std::thread input([&] {
    ReadClientInput(conn, feeder, [&](uint16_t width, uint16_t height) {
      if (tty) (void)process->ResizeConsole(width, height, SessionDeadline(kSessionCallTimeout));
    });
    on_gone();  // end of stream before the exit: the client left
  });
  auto exit = process->WaitForExit(hcs::kNoDeadline);
  stdout_drain.JoinFor(kSessionCopyAfterExit);
  stderr_drain.JoinFor(kSessionCopyAfterExit);
  finished = true;
  if (exit.ok()) {
    (void)out.Send(SessionFrameType::kExit, ExitPayload(exit->exit_code));
  } else {
    (void)out.Send(SessionFrameType::kFailed, "waiting for the exec process: " + exit.status().ToString());
  }
  conn.CancelRead();
  // The feeder before the join: the reader may wait in Push for room a
  // process that stopped reading never makes, and the feeder's own write
  // may be held even after the exit (HCS's relay keeps the pipe).
  feeder.Stop();
  input.join();
  in.Close();
  process->Close();
}

void RunAttach(ContainerMonitor& monitor, Duplex& conn) {
  SessionWriter out(conn);
  QueueTap tap;
  const bool tapped = monitor.AddOutputTap(&tap);
  StdinFeeder feeder({
      // No stdin open: dropped, as docker does.
      [&](std::string_view data, const std::atomic<bool>* abandoned) {
        (void)monitor.WriteMainStdin(data, abandoned);
      },
      [&] { (void)monitor.CloseStdin(SessionDeadline(kSessionCallTimeout)); },
      [&](const std::atomic<bool>* abandoned) { monitor.CancelMainStdinWrites(abandoned); },
  });
  std::thread input([&] {
    ReadClientInput(conn, feeder, [&](uint16_t width, uint16_t height) {
      (void)monitor.ResizeConsole(width, height, SessionDeadline(kSessionCallTimeout));
    });
    tap.Cancel();  // detached, or the client left
  });
  QueueTap::Next next = tapped ? QueueTap::Next::kChunk : QueueTap::Next::kEnded;
  while (tapped) {
    LogStream stream = LogStream::kStdout;
    std::string chunk;
    next = tap.Pop(&stream, &chunk);
    if (next != QueueTap::Next::kChunk) break;
    const SessionFrameType type =
        stream == LogStream::kStdout ? SessionFrameType::kStdout : SessionFrameType::kStderr;
    if (!out.Send(type, chunk)) {
      next = QueueTap::Next::kCancelled;
      break;
    }
  }
  if (tapped) monitor.RemoveOutputTap(&tap);
  if (next == QueueTap::Next::kEnded) {
    const MonitorStatus status = monitor.Status();
    (void)out.Send(SessionFrameType::kExit, ExitPayload(status.exit ? status.exit->exit_code : -1));
  } else if (next == QueueTap::Next::kOverflowed) {
    (void)out.Send(SessionFrameType::kFailed, "attach fell more than 4 MiB behind the container's output");
  }
  conn.CancelRead();
  // The container may run on without reading its stdin: neither this
  // session's write nor its reader waiting in Push may hold the detach. The
  // stdin stays open for the next one.
  feeder.Stop();
  input.join();
}

}  // namespace

SessionStart StartMonitorSession(ContainerMonitor& monitor, const Request& request) {
  SessionStart start;
  if (request.op == wire::Op::kAttach) {
    // As containerd: only a running container can be attached to.
    const MonitorState state = monitor.Status().state;
    if (state != MonitorState::kRunning) {
      start.response = SessionError(wire::kCodeFailedPrecondition,
                                    state == MonitorState::kCreated ? "attach: the container has not started"
                                                                    : "attach: the container is not running");
      return start;
    }
    start.run = [&monitor](Duplex& conn) { RunAttach(monitor, conn); };
    return start;
  }
  if (request.op != wire::Op::kExec || !request.stream) {
    start.response = SessionError(wire::kCodeInvalidArgument, std::string("shim op ") + wire::OpName(request.op) +
                                                           " does not open a session");
    return start;
  }
  if (request.process.empty()) {
    start.response = SessionError(wire::kCodeInvalidArgument, "exec needs the HCS process parameters");
    return start;
  }
  if (monitor.Status().state != MonitorState::kRunning) {
    start.response = SessionError(wire::kCodeFailedPrecondition, "exec: the container is not running");
    return start;
  }
  auto process = monitor.CreateSessionProcess(request.process, wire::RequestWantsStdin(request), SessionDeadline(kSessionCallTimeout));
  if (!process.ok()) {
    start.response = ResponseFromHcs(process.status());
    return start;
  }
  start.response.pid = static_cast<int>((*process)->pid());
  std::shared_ptr<hcs::Process> shared(std::move(*process));
  const bool tty = request.tty;
  start.run = [&monitor, shared, tty](Duplex& conn) { RunExec(monitor, shared, tty, conn); };
  return start;
}

}  // namespace silo::runtime::windows::shim
