#pragma once
// HcsGrantVmAccess / HcsRevokeVmAccess through the HcsApi table: give a
// utility VM's virtual account (NT VIRTUAL MACHINE\<vm id>) access to a host
// file it opens itself, its scratch VHDX. hcsshim grants before creating the
// VM (internal/uvm/create_wcow.go prepareConfigDoc, internal/wcow/scratch.go),
// so the VM need not exist yet. Thread-safe (the table is immutable).

#include <string>

#include "absl/status/status.h"
#include "runtime/windows/hcs/api.h"

namespace silo::runtime::windows::hypervisor {

// FailedPrecondition when the host's computecore.dll lacks the entry point
// (the table's pointer is null); otherwise the HRESULT as a status naming the
// VM and the file.
absl::Status GrantVmAccess(const hcs::HcsApi& api, const std::string& vm_id, const std::string& file_path);
absl::Status RevokeVmAccess(const hcs::HcsApi& api, const std::string& vm_id, const std::string& file_path);

}  // namespace silo::runtime::windows::hypervisor
