#pragma once
// The HcsCreateComputeSystem document of a container inside a utility VM.
// HCS relays it to the guest agent: the top level names the VM
// (HostingSystemId) and the container section travels as HostedSystem
// {SchemaVersion, Container}, not as "Container" (hcsshim
// internal/uvm/create.go UtilityVM.CreateContainer without its own bridge,
// internal/hcsoci/create.go for the HostedSystem wrapper). The Container
// section is the process-isolated one (container_document.h) except for its
// storage, which is all guest paths: layers are VSMB shares and the root is
// the mounted scratch on which the guest combined the layers
// (internal/hcsoci/hcsdoc_wcow.go, the isV2Xenon branch). Pure; thread-safe.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/windows/container_document.h"
#include "runtime/windows/hypervisor/combined_layers.h"

namespace silo::runtime::windows::hypervisor {

struct HostedContainerInput {
  std::string hosting_system_id;  // the utility VM's HCS id
  // Everything but parent_layers, scratch_volume_path and mounts is used as
  // for a process-isolated container (hostname, resources, networking,
  // registry, owner, terminate_on_last_handle_closed).
  ContainerSpecInput spec;
  std::vector<GuestLayer> layers;   // nearest parent first, base last
  std::string container_root_path;  // ScsiGuestMountPath of its scratch
};

// InvalidArgument when the hosting system id is empty, a layer or the root
// is malformed, or anything the process-isolated builder refuses.
// Unimplemented for mounts: they need a VSMB share (directories) or a
// mapped VM pipe each, which this handler does not make yet.
absl::StatusOr<std::string> BuildHostedContainerDocument(const HostedContainerInput& input);

}  // namespace silo::runtime::windows::hypervisor
