#include "runtime/windows/shim/monitor_requests.h"

#include <chrono>

#include "runtime/base/saturating_time.h"
#include "runtime/windows/hresult_codes.h"

namespace silo::runtime::windows::shim {
namespace {

namespace wire = runtime::shim;
using runtime::shim::Op;

constexpr std::chrono::seconds kCallTimeout{60};
constexpr std::chrono::seconds kStopGrace{10};

Deadline After(std::chrono::seconds d) { return hcs::Clock::now() + d; }

// The gRPC code for a failed HCS call.
int CodeFor(uint32_t hr) {
  if (codes::IsNotExist(hr)) return wire::kCodeNotFound;
  if (codes::IsTimeout(hr)) return wire::kCodeDeadlineExceeded;
  if (codes::IsInvalidState(hr)) return wire::kCodeFailedPrecondition;
  if (codes::Normalize(hr) == codes::Normalize(codes::kEInvalidArg) || codes::Normalize(hr) == codes::kHcsEInvalidJson) {
    return wire::kCodeInvalidArgument;
  }
  if (codes::Normalize(hr) == codes::kHcsEServiceDisconnect) return wire::kCodeUnavailable;
  return wire::kCodeInternal;
}

Response Error(int code, std::string message) {
  Response r;
  r.code = code;
  r.message = std::move(message);
  return r;
}

Response FromStatus(const win32::HrStatus& s) { return ResponseFromHcs(s); }

Response StateResponse(const MonitorStatus& status) {
  return MonitorStateResponse(MonitorStateName(status.state), status.pid, status.exit);
}

}  // namespace

Response ResponseFromHcs(const win32::HrStatus& s) {
  return s.ok() ? Response() : Error(CodeFor(s.hr()), s.ToString());
}

Response MonitorExecResponse(bool timed_out, int64_t timeout_ms, int64_t exit_code, std::string stdout_data,
                             std::string stderr_data) {
  Response r;
  if (timed_out) {
    r.code = wire::kCodeDeadlineExceeded;
    r.message = "exec timed out after " + std::to_string(timeout_ms) + " ms";
  }
  r.exited = true;
  r.exit_code = static_cast<int>(exit_code);
  r.stdout_data = std::move(stdout_data);
  r.stderr_data = std::move(stderr_data);
  return r;
}

Response MonitorStateResponse(const char* state, uint32_t pid, const std::optional<ExitRecord>& exit) {
  Response r;
  r.state = state;
  r.pid = static_cast<int>(pid);
  if (exit) {
    r.exited = true;
    r.exit_code = static_cast<int>(exit->exit_code);
    r.exited_at_unix_nanos = exit->exited_at_unix_nanos;
  }
  return r;
}

Response ServeMonitorRequest(ContainerMonitor& monitor, const Request& request,
                             std::atomic<bool>* shutdown_requested) {
  switch (request.op) {
    case Op::kState:
      return StateResponse(monitor.Status());
    case Op::kStart:
      return FromStatus(monitor.Start(After(kCallTimeout)));
    case Op::kWait: {
      // `timeout_ms` bounds the wait (DeadlineExceeded), so a caller that
      // gives up does not leave this connection's thread behind for ever.
      const Deadline until = request.timeout_ms > 0
                                 ? SaturatingAdd(hcs::Clock::now(), std::chrono::milliseconds(request.timeout_ms))
                                 : hcs::kNoDeadline;
      auto exit = monitor.Wait(until);
      if (!exit.ok()) return FromStatus(exit.status());
      return StateResponse(monitor.Status());
    }
    case Op::kKill:
      return FromStatus(monitor.Kill(request.signal, After(kCallTimeout)));
    case Op::kExec: {
      if (request.stream || request.tty || wire::RequestWantsStdin(request)) {
        return Error(wire::kCodeFailedPrecondition, "interactive exec is not served by this monitor");
      }
      if (request.process.empty()) {
        return Error(wire::kCodeInvalidArgument, "exec needs the HCS process parameters");
      }
      auto result = monitor.Exec(request.process, std::chrono::milliseconds(request.timeout_ms), After(kCallTimeout));
      if (!result.ok()) return FromStatus(result.status());
      return MonitorExecResponse(result->timed_out, request.timeout_ms, result->exit_code,
                                 std::move(result->stdout_data), std::move(result->stderr_data));
    }
    case Op::kReopenLog:
      return FromStatus(monitor.ReopenLog());
    case Op::kCloseStdin:
      return FromStatus(monitor.CloseStdin(After(kCallTimeout)));
    case Op::kResize:
      if (request.width > 0xFFFF || request.height > 0xFFFF) {
        return Error(wire::kCodeInvalidArgument, "console size out of range");
      }
      return FromStatus(monitor.ResizeConsole(static_cast<uint16_t>(request.width),
                                              static_cast<uint16_t>(request.height), After(kCallTimeout)));
    case Op::kShutdown: {
      Response r = FromStatus(monitor.StopSystem(After(kStopGrace), After(kCallTimeout)));
      if (r.code == 0) *shutdown_requested = true;
      return r;
    }
    case Op::kAttach:
      break;
  }
  return Error(wire::kCodeFailedPrecondition,
               std::string("shim op ") + wire::OpName(request.op) + " is not served by this monitor");
}

}  // namespace silo::runtime::windows::shim
