#include "runtime/windows/hypervisor/vsmb_share_set.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "runtime/windows/hypervisor/vsmb_share.h"

namespace silo::runtime::windows::hypervisor {

std::string VsmbShareSet::Key(const std::string& host_path) {
  std::string key = absl::AsciiStrToLower(host_path);
  while (key.size() > 3 && (key.back() == '\\' || key.back() == '/')) key.pop_back();
  return key;
}

VsmbShareSet::Acquired VsmbShareSet::Acquire(const std::string& host_path) {
  auto [it, inserted] = shares_.try_emplace(Key(host_path));
  if (inserted) it->second.name = VsmbShareName(++counter_);
  ++it->second.refs;
  return {it->second.name, VsmbGuestPath(it->second.name), inserted};
}

absl::StatusOr<VsmbShareSet::Released> VsmbShareSet::Release(const std::string& host_path) {
  auto it = shares_.find(Key(host_path));
  if (it == shares_.end()) {
    return absl::NotFoundError(absl::StrCat("no VSMB share of '", host_path, "' in this utility VM"));
  }
  Released out{it->second.name, --it->second.refs == 0};
  if (out.last) shares_.erase(it);
  return out;
}

absl::Status VsmbShareSet::Adopt(const std::string& host_path, const std::string& name) {
  uint64_t counter = 0;
  if (name.size() < 2 || name[0] != 's' || !absl::SimpleHexAtoi(name.substr(1), &counter) ||
      VsmbShareName(counter) != name) {
    return absl::InvalidArgumentError(absl::StrCat("'", name, "' is not a VSMB share name of Silo's"));
  }
  auto [it, inserted] = shares_.try_emplace(Key(host_path));
  if (inserted) {
    it->second.name = name;
  } else if (it->second.name != name) {
    return absl::FailedPreconditionError(absl::StrCat("'", host_path, "' is shared as ", it->second.name,
                                                      ", not as ", name));
  }
  ++it->second.refs;
  counter_ = std::max(counter_, counter);
  return absl::OkStatus();
}

void VsmbShareSet::Forget(const std::string& host_path) { shares_.erase(Key(host_path)); }

int VsmbShareSet::references(const std::string& host_path) const {
  auto it = shares_.find(Key(host_path));
  return it == shares_.end() ? 0 : it->second.refs;
}

}  // namespace silo::runtime::windows::hypervisor
