#include "runtime/windows/hypervisor/uvm_modify.h"

#include "runtime/windows/hresult.h"

namespace silo::runtime::windows::hypervisor {

absl::Status ModifyUvm(hcs::ComputeSystem& vm, const absl::StatusOr<std::string>& request, hcs::Deadline deadline) {
  if (!request.ok()) return request.status();
  return HrStatusToStatus(vm.Modify(*request, deadline), "HcsModifyComputeSystem", vm.id());
}

}  // namespace silo::runtime::windows::hypervisor
