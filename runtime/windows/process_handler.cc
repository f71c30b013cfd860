#include "runtime/windows/process_handler.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/container/container_host.h"
#include "runtime/handler/assembled_handler.h"
#include "runtime/sandbox/sandbox_host.h"
#include "runtime/stats/stats_source.h"
#include "runtime/streaming/process_streaming.h"
#include "runtime/windows/hcs_container_host.h"
#include "runtime/windows/stats/windows_stats_source.h"

namespace silo::runtime::windows {

const char kMissingSandboxHost[] =
    "the Windows process-isolation pod sandbox host (HCN namespace, pod Job Object, pause compute system) "
    "is not built into this silod yet";

namespace {

absl::Status SandboxHostMissing() { return absl::FailedPreconditionError(absl::StrCat("runtime handler type \"process\": ", kMissingSandboxHost)); }

// Refuses every pod: nothing is created, so removal and listing have
// nothing to find.
class MissingSandboxHost final : public sandbox::SandboxHost {
 public:
  absl::StatusOr<std::string> CreateNamespaces(const std::string&, const sandbox::NamespaceRequest&) override {
    return SandboxHostMissing();
  }
  absl::Status RemoveNamespaces(const std::string&) override { return absl::OkStatus(); }
  std::string NetworkNamespaceFor(const std::string&) const override { return ""; }
  bool NetworkNamespaceExists(const std::string&) const override { return false; }
  absl::StatusOr<std::vector<std::string>> ListNamespaces() const override { return std::vector<std::string>{}; }
  absl::StatusOr<std::string> CreatePodGroup(const std::string&) override { return SandboxHostMissing(); }
  absl::Status RemovePodGroup(const std::string&) override { return absl::OkStatus(); }
  absl::StatusOr<std::vector<std::string>> ListPodGroups() const override { return std::vector<std::string>{}; }
};

// Containers where computecore.dll is missing: every call says why.
class UnavailableContainerHost final : public container::ContainerHost {
 public:
  explicit UnavailableContainerHost(absl::Status why) : why_(std::move(why)) {}
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

absl::Status StreamingMissing() {
  return absl::UnimplementedError("exec, attach and port-forward are not built for Windows containers yet");
}

class MissingStreaming final : public streaming::ProcessStreaming {
 public:
  absl::StatusOr<int> Exec(const model::ContainerRecord&, const std::vector<std::string>&,
                           const streaming::ExecStreams&) override {
    return StreamingMissing();
  }
  absl::StatusOr<streaming::AttachEnd> Attach(const model::ContainerRecord&, const streaming::ExecStreams&) override {
    return StreamingMissing();
  }
  absl::Status PortForward(const model::SandboxRecord&, int32_t, streaming::ByteQueue*,
                           streaming::OutputStream*) override {
    return StreamingMissing();
  }
};

absl::Status NoRootfs() {
  return absl::FailedPreconditionError("Windows container layers (WCIFS import and mount) are not wired into this silod yet");
}

std::unique_ptr<handler::RuntimeHandler> BuildProcessHandler(const ProcessHandlerOptions& options) {
  handler::HandlerParts parts;
  parts.sandboxes = std::make_unique<MissingSandboxHost>();
  if (options.hcs != nullptr) {
    HcsContainerHostOptions hcs;
    hcs.state_dir = options.state_dir;
    hcs.host_paths = options.host_paths;
    hcs.shims = options.shims;
    hcs.prepare_rootfs = [](const container::CreateSpec&) -> absl::StatusOr<WindowsRootfs> { return NoRootfs(); };
    hcs.release_rootfs = [](const std::string&) { return absl::OkStatus(); };  // nothing was ever prepared
    parts.containers = std::make_unique<HcsContainerHost>(options.hcs, std::move(hcs));
  } else {
    parts.containers = std::make_unique<UnavailableContainerHost>(options.hcs_unavailable);
  }
  parts.streaming = std::make_unique<MissingStreaming>();
  WindowsStatsSourceOptions stats;
  stats.read_job = [](const std::string& job) -> absl::StatusOr<stats::GroupCounters> {
    return absl::NotFoundError(absl::StrCat("job object ", job, ": no pod of this handler exists"));
  };
  parts.stats = std::make_unique<WindowsStatsSource>(std::move(stats));
  std::function<absl::Status()> host_ready = options.host_ready;
  absl::Status hcs_unavailable = options.hcs == nullptr ? options.hcs_unavailable : absl::OkStatus();
  parts.ready = [host_ready, hcs_unavailable]() -> absl::Status {
    if (host_ready) {
      if (absl::Status s = host_ready(); !s.ok()) return s;
    }
    if (!hcs_unavailable.ok()) return hcs_unavailable;
    return SandboxHostMissing();
  };
  parts.description = options.hcs != nullptr ? "process isolation (HCS); pod sandbox host not built"
                                             : "process isolation; computecore.dll unavailable";
  return std::make_unique<handler::AssembledHandler>(std::move(parts));
}

}  // namespace

void RegisterProcessType(handler::HandlerRegistry& registry, ProcessHandlerOptions options) {
  handler::HandlerType type;
  type.name = "process";
  type.create = [options = std::move(options)](const handler::HandlerSpec&)
      -> absl::StatusOr<std::unique_ptr<handler::RuntimeHandler>> { return BuildProcessHandler(options); };
  registry.AddType(std::move(type));
}

}  // namespace silo::runtime::windows
