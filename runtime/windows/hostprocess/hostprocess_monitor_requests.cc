#include "runtime/windows/hostprocess/hostprocess_monitor_requests.h"

#include <chrono>
#include <string>
#include <utility>

#include "runtime/windows/shim/monitor_requests.h"

namespace silo::runtime::windows::hostprocess {
namespace {

namespace wire = runtime::shim;
using wire::Op;
using wire::Response;

Response FromStatus(const absl::Status& s) {
  Response r;
  r.code = static_cast<int>(s.code());  // absl's codes are gRPC's
  r.message = std::string(s.message());
  return r;
}

Response StateResponse(const HostProcessStatus& status) {
  return windows::shim::MonitorStateResponse(HostProcessStateName(status.state), status.pid, status.exit);
}

}  // namespace

Response ServeHostProcessRequest(HostProcessMonitor& monitor, const wire::Request& request,
                                 std::atomic<bool>* shutdown_requested) {
  switch (request.op) {
    case Op::kState:
      return StateResponse(monitor.Status());
    case Op::kStart:
      return FromStatus(monitor.Start());
    case Op::kWait: {
      // `timeout_ms` bounds the wait, so a caller that gives up does not
      // leave this connection's thread behind for ever.
      auto exit = monitor.Wait(request.timeout_ms > 0 ? std::chrono::milliseconds(request.timeout_ms)
                                                      : std::chrono::milliseconds(-1));
      if (!exit.ok()) return FromStatus(exit.status());
      return StateResponse(monitor.Status());
    }
    case Op::kKill:
      return FromStatus(monitor.Kill(request.signal));
    case Op::kExec: {
      if (request.stream || request.tty || wire::RequestWantsStdin(request)) {
        return FromStatus(absl::FailedPreconditionError("interactive exec is not served by this monitor"));
      }
      if (request.args.empty()) return FromStatus(absl::InvalidArgumentError("exec needs a command"));
      auto result = monitor.Exec(request.args, std::chrono::milliseconds(request.timeout_ms));
      if (!result.ok()) return FromStatus(result.status());
      return windows::shim::MonitorExecResponse(result->timed_out, request.timeout_ms, result->exit_code,
                                                std::move(result->stdout_data), std::move(result->stderr_data));
    }
    case Op::kReopenLog:
      return FromStatus(monitor.ReopenLog());
    case Op::kShutdown: {
      Response r = FromStatus(monitor.Shutdown());
      if (r.code == 0) *shutdown_requested = true;
      return r;
    }
    case Op::kCloseStdin:
    case Op::kResize:
    case Op::kAttach:
      break;
  }
  return FromStatus(absl::FailedPreconditionError(std::string("shim op ") + wire::OpName(request.op) +
                                                  " is not served by the HostProcess monitor"));
}

}  // namespace silo::runtime::windows::hostprocess
