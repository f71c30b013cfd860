#include "cri/server/service.h"
#include "runtime/base/status_macros.h"

namespace silo::cri {

// CRI's timeout is in seconds, 0 = none; on expiry the shim kills the
// process and this answers DeadlineExceeded.
absl::Status Service::ExecSync(const ::runtime::v1::ExecSyncRequest& request,
                               ::runtime::v1::ExecSyncResponse* response) {
  if (containers_ == nullptr) return UnimplementedRpc("ExecSync");
  std::vector<std::string> args(request.cmd().begin(), request.cmd().end());
  SILO_ASSIGN_OR_RETURN(runtime::container::ExecResult result,
                        containers_->ExecSync(request.container_id(), args,
                                              std::chrono::seconds(request.timeout() > 0 ? request.timeout() : 0)));
  response->set_stdout(std::move(result.stdout_data));
  response->set_stderr(std::move(result.stderr_data));
  response->set_exit_code(result.exit_code);
  return absl::OkStatus();
}

}  // namespace silo::cri
