#include "runtime/windows/hypervisor/vsmb_share.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "runtime/windows/hypervisor/modify_request.h"

namespace silo::runtime::windows::hypervisor {

using nlohmann::json;

json ReadOnlyShareOptions(bool no_direct_map) {
  json options = {{"ReadOnly", true},
                  {"ShareRead", true},
                  {"CacheIo", true},
                  {"PseudoOplocks", true},
                  {"TakeBackupPrivilege", true}};
  // Schema spelling is "NoDirectmap" (lower-case m), virtual_smb_share_options.go.
  if (no_direct_map) options["NoDirectmap"] = true;
  return options;
}

json VsmbShare(const std::string& name, const std::string& host_path, bool no_direct_map) {
  return {{"Name", name}, {"Path", host_path}, {"Options", ReadOnlyShareOptions(no_direct_map)}};
}

std::string VsmbShareName(uint64_t counter) { return absl::StrFormat("s%x", counter); }

std::string VsmbGuestPath(const std::string& share_name) { return absl::StrCat(kVsmbGuestPrefix, share_name); }

absl::StatusOr<std::string> BuildVsmbAddRequest(const std::string& share_name, const std::string& host_path,
                                                bool no_direct_map) {
  if (share_name.empty()) return absl::InvalidArgumentError("VSMB share needs a name");
  if (!IsAbsoluteWindowsPath(host_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("VSMB share ", share_name, ": host path '", host_path, "' is not absolute"));
  }
  return Serialize(HostModify(kRequestAdd, kVsmbResourcePath, VsmbShare(share_name, host_path, no_direct_map)));
}

absl::StatusOr<std::string> BuildVsmbRemoveRequest(const std::string& share_name) {
  if (share_name.empty()) return absl::InvalidArgumentError("VSMB share needs a name");
  return Serialize(HostModify(kRequestRemove, kVsmbResourcePath, json{{"Name", share_name}}));
}

}  // namespace silo::runtime::windows::hypervisor
