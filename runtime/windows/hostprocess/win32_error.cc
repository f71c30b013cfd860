#include "runtime/windows/hostprocess/win32_error.h"

#include "absl/strings/str_cat.h"
#include "runtime/windows/hostprocess/process_api.h"

namespace silo::runtime::windows::hostprocess {

absl::Status Win32Error(const std::string& what, uint32_t code) {
  constexpr uint32_t kAccessDenied = 5;
  constexpr uint32_t kLogonFailure = 1326;
  std::string message = absl::StrCat(what, ": Win32 error ", code);
  switch (code) {
    case kErrorFileNotFound:
      return absl::NotFoundError(message);
    case kErrorAlreadyExists:
      return absl::AlreadyExistsError(message);
    case kAccessDenied:
    case kLogonFailure:
      return absl::PermissionDeniedError(message);
    case kErrorInvalidParameter:
      return absl::InvalidArgumentError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace silo::runtime::windows::hostprocess
