#include "runtime/windows/hcs_streaming/hostprocess_streaming.h"

#include "absl/strings/str_cat.h"

namespace silo::runtime::windows::hcs_streaming {
namespace {

class HostProcessStreaming final : public runtime::streaming::ProcessStreaming {
 public:
  explicit HostProcessStreaming(PortForwarder forward) : forward_(std::move(forward)) {}

  absl::StatusOr<int> Exec(const model::ContainerRecord& container, const std::vector<std::string>&,
                           const runtime::streaming::ExecStreams&) override {
    return absl::UnimplementedError(absl::StrCat("exec in HostProcess container ", container.id,
                                                 ": interactive exec (and its tty) is not built for HostProcess "
                                                 "containers; ExecSync works"));
  }
  absl::StatusOr<runtime::streaming::AttachEnd> Attach(const model::ContainerRecord& container,
                                                       const runtime::streaming::ExecStreams&) override {
    return absl::UnimplementedError(
        absl::StrCat("attach to HostProcess container ", container.id, ": not built for HostProcess containers"));
  }
  absl::Status PortForward(const model::SandboxRecord& sandbox, int32_t port, runtime::streaming::ByteQueue* in,
                           runtime::streaming::OutputStream* out) override {
    if (!forward_) return absl::UnimplementedError("port-forward to Windows pods is not wired on this build");
    if (port <= 0 || port > 65535) return absl::InvalidArgumentError(absl::StrCat("port-forward: bad port ", port));
    return forward_("127.0.0.1", port, in, out);  // the host's network is the pod's
  }

 private:
  const PortForwarder forward_;
};

}  // namespace

std::unique_ptr<runtime::streaming::ProcessStreaming> NewHostProcessStreaming(PortForwarder forward) {
  return std::make_unique<HostProcessStreaming>(std::move(forward));
}

}  // namespace silo::runtime::windows::hcs_streaming
