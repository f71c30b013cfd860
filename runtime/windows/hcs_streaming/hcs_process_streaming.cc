#include "runtime/windows/hcs_streaming/hcs_process_streaming.h"

#include "absl/strings/str_cat.h"
#include "runtime/base/status_macros.h"
#include "runtime/windows/hcs_streaming/shim_session_calls.h"

namespace silo::runtime::windows::hcs_streaming {
namespace {

namespace wire = runtime::shim;
using runtime::streaming::AttachEnd;
using runtime::streaming::ExecStreams;

}  // namespace

HcsProcessStreaming::HcsProcessStreaming(HcsContainerHost* containers, std::shared_ptr<shim::ShimPort> shims,
                                         PortForwarder forward)
    : containers_(containers), shims_(std::move(shims)), forward_(std::move(forward)) {}

absl::StatusOr<int> HcsProcessStreaming::Exec(const model::ContainerRecord& container,
                                              const std::vector<std::string>& cmd, const ExecStreams& streams) {
  if (cmd.empty()) return absl::InvalidArgumentError("exec: cmd is required");
  // The size the client sent before anything else is the console's first.
  runtime::streaming::TerminalSize size;
  if (streams.tty && streams.resize != nullptr) {
    if (std::optional<runtime::streaming::TerminalSize> first = streams.resize->TryNext()) size = *first;
  }
  wire::Request request;
  request.op = wire::Op::kExec;
  request.stream = true;
  request.tty = streams.tty;
  request.stdin = streams.stdin != nullptr;
  request.args = cmd;
  SILO_ASSIGN_OR_RETURN(request.process,
                        containers_->ExecProcessParameters(container.id, cmd, streams.tty, request.stdin, size.width,
                                                           size.height));
  return ExecThroughShim(*shims_, container.id, request, streams);
}

absl::StatusOr<AttachEnd> HcsProcessStreaming::Attach(const model::ContainerRecord& container,
                                                      const ExecStreams& streams) {
  return AttachThroughShim(*shims_, container, streams);
}

absl::Status HcsProcessStreaming::PortForward(const model::SandboxRecord& sandbox, int32_t port,
                                              runtime::streaming::ByteQueue* in,
                                              runtime::streaming::OutputStream* out) {
  if (!forward_) {
    return absl::UnimplementedError("port-forward to Windows pods is not wired on this build");
  }
  if (port <= 0 || port > 65535) return absl::InvalidArgumentError(absl::StrCat("port-forward: bad port ", port));
  if (sandbox.ip.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("port-forward to pod sandbox ", sandbox.id, ": the pod has no IP address"));
  }
  return forward_(sandbox.ip, port, in, out);
}

}  // namespace silo::runtime::windows::hcs_streaming
