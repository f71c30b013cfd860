#include "runtime/windows/handler/unavailable_parts.h"

#include <string>
#include <utility>
#include <vector>

namespace silo::runtime::windows {
namespace {

class RefusingSandboxHost final : public sandbox::SandboxHost {
 public:
  explicit RefusingSandboxHost(absl::Status why) : why_(std::move(why)) {}
  absl::StatusOr<std::string> CreateNamespaces(const std::string&, const sandbox::NamespaceRequest&) override {
    return why_;
  }
  absl::Status RemoveNamespaces(const std::string&) override { return absl::OkStatus(); }
  std::string NetworkNamespaceFor(const std::string&) const override { return ""; }
  bool NetworkNamespaceExists(const std::string&) const override { return false; }
  absl::StatusOr<std::vector<std::string>> ListNamespaces() const override { return std::vector<std::string>{}; }
  absl::StatusOr<std::string> CreatePodGroup(const std::string&) override { return why_; }
  absl::Status RemovePodGroup(const std::string&) override { return absl::OkStatus(); }
  absl::StatusOr<std::vector<std::string>> ListPodGroups() const override { return std::vector<std::string>{}; }

 private:
  const absl::Status why_;
};

class RefusingContainerHost final : public container::ContainerHost {
 public:
  explicit RefusingContainerHost(absl::Status why) : why_(std::move(why)) {}
  absl::StatusOr<std::string> Create(const container::CreateSpec&) override { return why_; }
  absl::Status Start(const std::string&, const std::string&) override { return why_; }
  absl::Status Kill(const std::string&, const std::string&, int) override { return why_; }
  absl::StatusOr<container::ProcessState> State(const std::string&, const std::string&) override { return why_; }
  absl::StatusOr<container::ProcessState> Wait(const std::string&, const std::string&,
                                               std::chrono::milliseconds) override {
    return why_;
  }
  absl::StatusOr<container::ExecResult> Exec(const std::string&, const std::string&, const std::vector<std::string>&,
                                             std::chrono::milliseconds) override {
    return why_;
  }
  absl::Status ReopenLog(const std::string&, const std::string&) override { return why_; }
  absl::Status Remove(const std::string&, const std::string&) override { return why_; }

 private:
  const absl::Status why_;
};

absl::Status StreamingUnbuilt() {
  return absl::UnimplementedError("exec, attach and port-forward are not built for this kind of Windows container (HostProcess, or no silo-shim)");
}

class UnbuiltStreaming final : public streaming::ProcessStreaming {
 public:
  absl::StatusOr<int> Exec(const model::ContainerRecord&, const std::vector<std::string>&,
                           const streaming::ExecStreams&) override {
    return StreamingUnbuilt();
  }
  absl::StatusOr<streaming::AttachEnd> Attach(const model::ContainerRecord&, const streaming::ExecStreams&) override {
    return StreamingUnbuilt();
  }
  absl::Status PortForward(const model::SandboxRecord&, int32_t, streaming::ByteQueue*,
                           streaming::OutputStream*) override {
    return StreamingUnbuilt();
  }
};

}  // namespace

std::unique_ptr<sandbox::SandboxHost> UnavailableSandboxHost(absl::Status why) {
  return std::make_unique<RefusingSandboxHost>(std::move(why));
}

std::unique_ptr<container::ContainerHost> UnavailableContainerHost(absl::Status why) {
  return std::make_unique<RefusingContainerHost>(std::move(why));
}

std::unique_ptr<streaming::ProcessStreaming> UnbuiltWindowsStreaming() { return std::make_unique<UnbuiltStreaming>(); }

}  // namespace silo::runtime::windows
