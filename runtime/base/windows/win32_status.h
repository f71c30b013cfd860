#pragma once
// Win32 error codes (GetLastError) as absl::Status, for the Windows
// implementations of runtime/base. Win32 only; the absl-free wrapper layers
// use HrStatus (result.h) instead.

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace silo::win32 {

// "<context>: <system message> (Win32 error <code>)", with the code that
// matches its meaning (NotFound, AlreadyExists, PermissionDenied ...).
absl::Status Win32ErrorToStatus(uint32_t error, absl::string_view context);

// Win32ErrorToStatus(GetLastError(), context).
absl::Status LastErrorToStatus(absl::string_view context);

}  // namespace silo::win32
