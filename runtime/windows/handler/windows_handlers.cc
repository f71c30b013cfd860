#include "runtime/windows/handler/windows_handlers.h"

#include "absl/strings/str_cat.h"
#include "cri/api/cri.h"
#include "runtime/base/status_macros.h"
#include "runtime/handler/assembled_handler.h"
#include "runtime/windows/handler/unavailable_parts.h"
#include "runtime/windows/hcs_streaming/hostprocess_streaming.h"
#include "runtime/windows/hypervisor/hypervisor_handler.h"

namespace silo::runtime::windows {
namespace {

// The parts every Windows handler needs; FailedPrecondition naming the first
// one missing, so a wiring mistake stops silod at start-up.
absl::Status CheckCommon(const WindowsHandlerParts& parts, const std::string& type) {
  const char* missing = nullptr;
  if (parts.hcs == nullptr) missing = "the HCS API table";
  else if (parts.jobs == nullptr) missing = "the job object API table";
  else if (!parts.make_stats) missing = "a stats source";
  else if (!parts.make_streaming) missing = "a streaming runtime";
  else if (parts.sandbox.state_dir.empty()) missing = "the sandbox state dir";
  if (missing == nullptr) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("handler type \"", type, "\": ", missing, " is not wired"));
}

// A handler of `type` that refuses everything with `parts.unavailable`.
absl::StatusOr<std::unique_ptr<handler::RuntimeHandler>> UnavailableHandler(const WindowsHandlerParts& parts,
                                                                            const char* type) {
  if (!parts.make_stats) {
    return absl::FailedPreconditionError(absl::StrCat("handler type \"", type, "\": a stats source is not wired"));
  }
  absl::Status why(parts.unavailable.code(),
                   absl::StrCat("handler type \"", type, "\": ", parts.unavailable.message()));
  handler::HandlerParts hp;
  hp.sandboxes = UnavailableSandboxHost(why);
  hp.containers = UnavailableContainerHost(why);
  hp.streaming = UnbuiltWindowsStreaming();
  hp.stats = parts.make_stats();
  std::function<absl::Status()> ready = parts.ready;
  hp.ready = [ready, why]() -> absl::Status {
    if (ready) {
      if (absl::Status s = ready(); !s.ok()) return s;
    }
    return why;
  };
  hp.description = absl::StrCat("unavailable on this host: ", parts.unavailable.message());
  return std::unique_ptr<handler::RuntimeHandler>(std::make_unique<handler::AssembledHandler>(std::move(hp)));
}

}  // namespace

bool IsHostProcessPod(const ::runtime::v1::PodSandboxConfig& config) {
  return config.windows().security_context().host_process();
}

void RegisterWindowsHandlerTypes(handler::HandlerRegistry& registry, const WindowsHandlerParts& parts) {
  auto process = [parts](const handler::HandlerSpec& spec) -> absl::StatusOr<std::unique_ptr<handler::RuntimeHandler>> {
    if (!parts.unavailable.ok()) return UnavailableHandler(parts, kProcessHandlerType);
    SILO_RETURN_IF_ERROR(CheckCommon(parts, kProcessHandlerType));
    if (parts.hcn == nullptr) {
      return absl::FailedPreconditionError("handler type \"process\": the HCN API table is not wired");
    }
    if (parts.sandbox.owner == parts.containers.owner) {
      return absl::FailedPreconditionError(absl::StrCat(
          "handler type \"process\": pause systems and containers share the HCS owner \"", parts.sandbox.owner,
          "\"; container recovery would remove the pause systems"));
    }
    handler::HandlerParts hp;
    hp.sandboxes = std::make_unique<WindowsSandboxHost>(parts.hcs, parts.hcn, parts.jobs, parts.sandbox);
    auto containers = std::make_unique<HcsContainerHost>(parts.hcs, parts.containers);
    // Exec and attach are relayed by the containers' monitors.
    hp.streaming = parts.containers.shims != nullptr
                       ? std::make_unique<hcs_streaming::HcsProcessStreaming>(
                             containers.get(), parts.containers.shims, parts.port_forward)
                       : parts.make_streaming();
    hp.containers = std::move(containers);
    hp.stats = parts.make_stats();
    hp.ready = parts.ready;
    hp.description = absl::StrCat("HCS process isolation, pods held by ",
                                  parts.sandbox.holder == PodHolder::kPause
                                      ? absl::StrCat("a pause system from ", parts.sandbox.sandbox_image)
                                      : std::string("nothing (sandbox.holder: none)"));
    return std::make_unique<handler::AssembledHandler>(std::move(hp));
  };
  registry.AddType({kProcessHandlerType, std::move(process), nullptr});

  auto host_process =
      [parts](const handler::HandlerSpec& spec) -> absl::StatusOr<std::unique_ptr<handler::RuntimeHandler>> {
    if (!parts.unavailable.ok()) return UnavailableHandler(parts, kHostProcessHandlerType);
    SILO_RETURN_IF_ERROR(CheckCommon(parts, kHostProcessHandlerType));
    if (!parts.make_hostprocess_containers && parts.processes == nullptr) {
      return absl::FailedPreconditionError(
          "handler type \"hostprocess\": no HostProcess container host: the process API table is not wired");
    }
    WindowsSandboxHostOptions options = parts.sandbox;
    options.namespaces = false;
    options.holder = PodHolder::kNone;
    options.state_dir = absl::StrCat(parts.sandbox.state_dir, "/hostprocess");
    handler::HandlerParts hp;
    hp.sandboxes = std::make_unique<WindowsSandboxHost>(parts.hcs, nullptr, parts.jobs, std::move(options));
    hp.containers = parts.make_hostprocess_containers
                        ? parts.make_hostprocess_containers()
                        : std::make_unique<hostprocess::HostProcessContainerHost>(parts.processes, parts.hostprocess);
    // Exec and attach are relayed by the containers' HostProcess monitors.
    hp.streaming = parts.port_forward || parts.hostprocess.shims != nullptr
                       ? hcs_streaming::NewHostProcessStreaming(parts.hostprocess.shims, parts.port_forward)
                       : parts.make_streaming();
    hp.stats = parts.make_stats();
    hp.ready = parts.ready;
    hp.description = "HostProcess: processes in job objects on the host";
    return std::make_unique<handler::AssembledHandler>(std::move(hp));
  };
  registry.AddType({kHostProcessHandlerType, std::move(host_process),
                    [](const ::runtime::v1::PodSandboxConfig& config) { return IsHostProcessPod(config); }});

  // Hyper-V isolation (experimental, hypervisor_handler.h); its handlers share one table of pod VMs.
  auto vms = std::make_shared<hypervisor::PodVms>(hypervisor::HypervisorStateDir(parts));
  auto hyperv = [parts, vms](const handler::HandlerSpec& spec) -> absl::StatusOr<std::unique_ptr<handler::RuntimeHandler>> {
    if (!parts.unavailable.ok()) return UnavailableHandler(parts, hypervisor::kHypervisorHandlerType);
    SILO_RETURN_IF_ERROR(CheckCommon(parts, hypervisor::kHypervisorHandlerType));
    return hypervisor::NewHypervisorHandler(spec, parts, vms);
  };
  registry.AddType({hypervisor::kHypervisorHandlerType, std::move(hyperv), nullptr});
}

}  // namespace silo::runtime::windows
