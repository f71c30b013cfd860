#pragma once
// Sends one built request to a utility VM (HcsModifyComputeSystem) and turns
// the outcome into a status naming the VM. A failed build is returned as is,
// without a call.

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/windows/hcs/compute_system.h"

namespace silo::runtime::windows::hypervisor {

absl::Status ModifyUvm(hcs::ComputeSystem& vm, const absl::StatusOr<std::string>& request, hcs::Deadline deadline);

}  // namespace silo::runtime::windows::hypervisor
