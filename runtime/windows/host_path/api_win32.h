#pragma once
// The HostPathApi of kernel32 (Windows only). Immutable; thread-safe.

#include "runtime/windows/host_path/api.h"

namespace silo::runtime::windows::host_path {

const HostPathApi& Win32HostPathApi();

}  // namespace silo::runtime::windows::host_path
