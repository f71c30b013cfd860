#pragma once
// Virtual SMB shares of a Windows utility VM: how a host directory (the VM's
// own OS files, or a container's read-only layer) becomes visible in the
// guest. Mirrors hcsshim internal/uvm/vsmb.go (AddVSMB, removeVSMB,
// DefaultVSMBOptions, GetVSMBUvmPath). Pure builders; thread-safe.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace silo::runtime::windows::hypervisor {

// The guest sees share <name> at this prefix + name (vsmb.go vsmbSharePrefix).
inline constexpr char kVsmbGuestPrefix[] = "\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\";
inline constexpr char kVsmbResourcePath[] = "VirtualMachine/Devices/VirtualSmb/Shares";

// The options of a read-only share (DefaultVSMBOptions(true)) with
// TakeBackupPrivilege, which both the OS share and layer shares set so the
// guest can read files whatever their ACLs. `no_direct_map` when the VM is
// fully physically backed or direct mapping is turned off.
nlohmann::json ReadOnlyShareOptions(bool no_direct_map);

// A VirtualSmbShare object {Name, Path, Options}.
nlohmann::json VsmbShare(const std::string& name, const std::string& host_path, bool no_direct_map);

// Share names hcsshim hands out: "s" + the counter in lower-case hex.
std::string VsmbShareName(uint64_t counter);
// kVsmbGuestPrefix + name.
std::string VsmbGuestPath(const std::string& share_name);

// HcsModifyComputeSystem request adding a read-only directory share.
// InvalidArgument for an empty name or a host path that is not absolute.
absl::StatusOr<std::string> BuildVsmbAddRequest(const std::string& share_name, const std::string& host_path,
                                                bool no_direct_map);
// Removing it: Settings carries only the Name (vsmb.go removeVSMB).
absl::StatusOr<std::string> BuildVsmbRemoveRequest(const std::string& share_name);

}  // namespace silo::runtime::windows::hypervisor
