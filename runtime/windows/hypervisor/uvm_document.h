#pragma once
// The HcsCreateComputeSystem document of a pod's Windows utility VM (schema
// 2.1 VirtualMachine), as hcsshim internal/uvm/create_wcow.go builds it for
// a VMBus-file-system boot (prepareCommonConfigDoc + prepareConfigDoc), with
// the one difference that matters to Silo: an empty GuestConnection section,
// so HCS itself connects to the guest agent and relays hosted-container
// creation, guest modify requests and processes (hcsshim did the same until
// it grew its own bridge; its ExternalGuestConnection option switched it).
// Pure; thread-safe.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/windows/hypervisor/uvm_options.h"

namespace silo::runtime::windows::hypervisor {

// The UEFI boot entry, relative to the "os" VSMB share root
// (wclayer.BootDirRelativePath + bootmgfw.efi).
inline constexpr char kUvmBootPath[] = "\\EFI\\Microsoft\\Boot\\bootmgfw.efi";
// Lets SYSTEM and Administrators bind hvsockets into the VM (to reach the
// guest agent).
inline constexpr char kHvSocketBindDescriptor[] = "D:P(A;;FA;;;SY)(A;;FA;;;BA)";
// The VSMB share the VM boots from.
inline constexpr char kUvmOsShareName[] = "os";

struct UvmDocumentInput {
  std::string vm_id;  // for error messages (HCS takes it as a call argument)
  std::string owner = "silo";
  UvmOptions options;
  // Host logical processors: a larger processor count is lowered to it, as
  // hcsshim's NormalizeProcessorCount does; 0 = unknown, no clamping.
  uint32_t host_processor_count = 0;
  // <base layer>\UtilityVM of the pod's sandbox image; its Files folder is
  // the OS share.
  std::string utility_vm_path;
  // The VM's scratch: a copy of UtilityVM\SystemTemplate.vhdx already granted
  // to vm_id (HcsGrantVmAccess), attached at controller 0, LUN 0.
  std::string scratch_vhd_path;
  // HCS kills the VM when its last handle closes. hcsshim sets it because
  // its per-pod shim holds the handle; false while the handle lives in a
  // process that restarts without taking pods down.
  bool terminate_on_last_handle_closed = false;
};

// The compact JSON document. Memory is rounded up to an even number of MiB
// (Hyper-V allocates in 2 MiB units; hcsshim NormalizeMemorySize);
// EnableHotHint follows AllowOvercommit, as in hcsshim. InvalidArgument for
// a relative utility VM or scratch path, zero memory or processors.
absl::StatusOr<std::string> BuildUvmDocument(const UvmDocumentInput& input);

}  // namespace silo::runtime::windows::hypervisor
