#include "cri/streaming/handler_streaming.h"

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "runtime/base/status_macros.h"
#include "runtime/streaming/process_streaming.h"

namespace silo::cri::streaming {

using runtime::model::ContainerRecord;
using runtime::model::ContainerState;

absl::StatusOr<ContainerRecord> HandlerStreamingRuntime::Running(const std::string& id, const std::string& what) {
  SILO_ASSIGN_OR_RETURN(ContainerRecord record, containers_->Status(id));
  if (record.State() != ContainerState::kRunning) {
    return absl::FailedPreconditionError(absl::StrCat(what, " container ", record.id, ": container is ",
                                                      runtime::model::ContainerStateName(record.State()),
                                                      ", not RUNNING"));
  }
  return record;
}

absl::StatusOr<int> HandlerStreamingRuntime::Exec(const std::string& container_id, const std::vector<std::string>& cmd,
                                                  const ExecStreams& streams) {
  if (cmd.empty()) return absl::InvalidArgumentError("exec: cmd is required");
  SILO_ASSIGN_OR_RETURN(ContainerRecord record, Running(container_id, "exec in"));
  SILO_ASSIGN_OR_RETURN(runtime::handler::RuntimeHandler * handler,
                        handlers_->For(record.runtime_handler, record.handler_type));
  return handler->Streaming().Exec(record, cmd, streams);
}

absl::StatusOr<int> HandlerStreamingRuntime::Attach(const std::string& container_id, const ExecStreams& streams) {
  SILO_ASSIGN_OR_RETURN(ContainerRecord record, Running(container_id, "attach to"));
  const std::string context = absl::StrCat("attach to container ", record.id);
  absl::StatusOr<::runtime::v1::ContainerConfig> config = record.Config();
  if (streams.tty && !(config.ok() && config->tty())) {
    return absl::FailedPreconditionError(
        absl::StrCat(context, ": tty requested but the container was created without tty"));
  }
  SILO_ASSIGN_OR_RETURN(runtime::handler::RuntimeHandler * handler,
                        handlers_->For(record.runtime_handler, record.handler_type));
  SILO_ASSIGN_OR_RETURN(runtime::streaming::AttachEnd end, handler->Streaming().Attach(record, streams));
  if (end == runtime::streaming::AttachEnd::kDetached) return 0;
  // The output ended because the process exited; the record learns the exit
  // from the exit watch a moment later (bounded).
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<ContainerRecord> now = containers_->Status(record.id);
    if (!now.ok()) return Annotate(now.status(), context);
    if (now->State() == ContainerState::kExited) return now->exit_code;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat(context, ": output ended but no exit was recorded"));
}

absl::Status HandlerStreamingRuntime::PortForward(const std::string& pod_sandbox_id, int32_t port, ByteQueue* in,
                                                  OutputStream* out) {
  SILO_ASSIGN_OR_RETURN(runtime::model::SandboxRecord sandbox, sandboxes_->Status(pod_sandbox_id));
  if (sandbox.state != runtime::model::SandboxState::kReady) {
    return absl::FailedPreconditionError(absl::StrCat("port-forward to pod sandbox ", sandbox.id, ": sandbox is ",
                                                      runtime::model::SandboxStateName(sandbox.state)));
  }
  SILO_ASSIGN_OR_RETURN(runtime::handler::RuntimeHandler * handler,
                        handlers_->For(sandbox.runtime_handler, sandbox.handler_type));
  return handler->Streaming().PortForward(sandbox, port, in, out);
}

}  // namespace silo::cri::streaming
