#pragma once
// The guest request that builds a hosted container's root file system from
// its layers (VSMB shares) on top of its scratch (a mounted SCSI disk), and
// the one that tears it down. Mirrors hcsshim internal/uvm/combine_layers.go
// (CombineLayersWCOW, RemoveCombinedLayersWCOW) with WCOWCombinedLayers from
// internal/protocol/guestresource/resources.go. Pure; thread-safe.

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace silo::runtime::windows::hypervisor {

// A read-only layer as the guest sees it.
struct GuestLayer {
  std::string id;          // layer GUID (NameToGuid of the host folder's name)
  std::string guest_path;  // VsmbGuestPath of its share
};

// FilterType is never sent: the Windows Server 2022 guest agent predates it
// and rejects the field (HCS_E_INVALID_JSON "$.FilterType"), while every
// agent defaults to WCIFS without it (combine_layers.go, hcsshim#2714).
// `layers` nearest parent first, base last; at least one. InvalidArgument on
// a non-GUID id, a relative guest path or root.
absl::StatusOr<std::string> BuildCombinedLayersAddRequest(const std::string& container_root_path,
                                                          const std::vector<GuestLayer>& layers);
// Settings carries only ContainerRootPath.
absl::StatusOr<std::string> BuildCombinedLayersRemoveRequest(const std::string& container_root_path);

}  // namespace silo::runtime::windows::hypervisor
