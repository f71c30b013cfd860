#include "runtime/windows/hypervisor/vm_access.h"

#include "absl/strings/str_cat.h"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/hresult.h"

namespace silo::runtime::windows::hypervisor {
namespace {

using Entry = uint32_t (*)(const wchar_t*, const wchar_t*);

absl::Status Call(Entry entry, const char* name, const std::string& vm_id, const std::string& file_path) {
  if (entry == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("computecore.dll on this host lacks ", name, ", which Hyper-V isolation needs"));
  }
  const std::wstring vm = win32::Utf8ToWide(vm_id);
  const std::wstring path = win32::Utf8ToWide(file_path);
  return HResultToStatus(entry(vm.c_str(), path.c_str()), name, vm_id, file_path);
}

}  // namespace

absl::Status GrantVmAccess(const hcs::HcsApi& api, const std::string& vm_id, const std::string& file_path) {
  return Call(api.grant_vm_access, "HcsGrantVmAccess", vm_id, file_path);
}

absl::Status RevokeVmAccess(const hcs::HcsApi& api, const std::string& vm_id, const std::string& file_path) {
  return Call(api.revoke_vm_access, "HcsRevokeVmAccess", vm_id, file_path);
}

}  // namespace silo::runtime::windows::hypervisor
