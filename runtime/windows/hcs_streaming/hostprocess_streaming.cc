#include "runtime/windows/hcs_streaming/hostprocess_streaming.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/windows/hcs_streaming/shim_session_calls.h"

namespace silo::runtime::windows::hcs_streaming {
namespace {

namespace wire = runtime::shim;

class HostProcessStreaming final : public runtime::streaming::ProcessStreaming {
 public:
  HostProcessStreaming(std::shared_ptr<shim::ShimPort> shims, PortForwarder forward)
      : shims_(std::move(shims)), forward_(std::move(forward)) {}

  absl::StatusOr<int> Exec(const model::ContainerRecord& container, const std::vector<std::string>& cmd,
                           const runtime::streaming::ExecStreams& streams) override {
    if (shims_ == nullptr) {
      return absl::UnimplementedError(
          absl::StrCat("exec in HostProcess container ", container.id, ": no shims are wired on this build"));
    }
    if (cmd.empty()) return absl::InvalidArgumentError("exec: cmd is required");
    wire::Request request;
    // The size the client sent before anything else is the console's first.
    if (streams.tty && streams.resize != nullptr) {
      if (std::optional<runtime::streaming::TerminalSize> first = streams.resize->TryNext()) {
        request.width = first->width;
        request.height = first->height;
      }
    }
    request.op = wire::Op::kExec;
    request.stream = true;
    request.tty = streams.tty;
    request.stdin = streams.stdin != nullptr;
    request.args = cmd;  // the monitor joins them as CreateProcess wants
    return ExecThroughShim(*shims_, container.id, request, streams);
  }
  absl::StatusOr<runtime::streaming::AttachEnd> Attach(const model::ContainerRecord& container,
                                                       const runtime::streaming::ExecStreams& streams) override {
    if (shims_ == nullptr) {
      return absl::UnimplementedError(
          absl::StrCat("attach to HostProcess container ", container.id, ": no shims are wired on this build"));
    }
    return AttachThroughShim(*shims_, container, streams);
  }
  absl::Status PortForward(const model::SandboxRecord&, int32_t port, runtime::streaming::ByteQueue* in,
                           runtime::streaming::OutputStream* out) override {
    if (!forward_) return absl::UnimplementedError("port-forward to Windows pods is not wired on this build");
    if (port <= 0 || port > 65535) return absl::InvalidArgumentError(absl::StrCat("port-forward: bad port ", port));
    return forward_("127.0.0.1", port, in, out);  // the host's network is the pod's
  }

 private:
  const std::shared_ptr<shim::ShimPort> shims_;
  const PortForwarder forward_;
};

}  // namespace

std::unique_ptr<runtime::streaming::ProcessStreaming> NewHostProcessStreaming(std::shared_ptr<shim::ShimPort> shims,
                                                                              PortForwarder forward) {
  return std::make_unique<HostProcessStreaming>(std::move(shims), std::move(forward));
}

}  // namespace silo::runtime::windows::hcs_streaming
