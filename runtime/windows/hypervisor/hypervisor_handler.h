#pragma once
// The "hypervisor" handler type (default name runhcs-wcow-hypervisor, as
// containerd's): Hyper-V isolated pods, one utility VM per pod
// (HypervisorSandboxHost) hosting its containers (NewHypervisorContainerHost).
// EXPERIMENTAL: it relies on HCS relaying guest requests (GuestConnection),
// which hcsshim has not used for Windows guests since 2019; only a real
// Windows Server 2022/2025 Hyper-V host can confirm it works.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/handler/handler.h"
#include "runtime/handler/registry.h"
#include "runtime/windows/hypervisor/pod_vms.h"

namespace silo::runtime::windows {
struct WindowsHandlerParts;
}  // namespace silo::runtime::windows

namespace silo::runtime::windows::hypervisor {

// Where the pods' records live: parts.hypervisor.sandbox.state_dir, or
// <parts.sandbox.state_dir>/hypervisor.
std::string HypervisorStateDir(const WindowsHandlerParts& parts);

// One handler over `pods` (shared by every hypervisor handler of the
// registry). The caller checked the parts every Windows handler needs;
// FailedPrecondition naming what else is missing (HCN, boot files, layers)
// or owners that clash.
absl::StatusOr<std::unique_ptr<handler::RuntimeHandler>> NewHypervisorHandler(const handler::HandlerSpec& spec,
                                                                              const WindowsHandlerParts& parts,
                                                                              std::shared_ptr<PodVms> pods);

}  // namespace silo::runtime::windows::hypervisor
