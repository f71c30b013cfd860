#pragma once
// Abseil statuses for failed ProcessApi calls. Portable; thread-safe.

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace silo::runtime::windows::hostprocess {

// "<what>: Win32 error <code>", NotFound for ERROR_FILE_NOT_FOUND,
// AlreadyExists for ERROR_ALREADY_EXISTS, PermissionDenied for access and
// logon failures, Internal otherwise.
absl::Status Win32Error(const std::string& what, uint32_t code);

}  // namespace silo::runtime::windows::hostprocess
