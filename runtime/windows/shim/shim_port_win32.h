#pragma once
// The real ShimPort: one silo-shim.exe process per container, started
// detached from silod (its own process group, out of silod's job where the
// job allows breakaway, no inherited handles) so it outlives silod, and
// reached over \\.\pipe\silo-shim-<id> with ShimPipeClient. Win32 only;
// thread-safe.

#include <memory>
#include <string>

#include "runtime/windows/shim/shim_port.h"

namespace silo::runtime::windows::shim {

// `shim_exe`: the full path of silo-shim.exe.
std::shared_ptr<ShimPort> NewWin32ShimPort(std::wstring shim_exe);

// silo-shim.exe beside the running executable (silod.exe's directory).
std::wstring ShimExeBesideThisProgram();

}  // namespace silo::runtime::windows::shim
