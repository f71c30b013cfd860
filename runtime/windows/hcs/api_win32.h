#pragma once
// Loads computecore.dll from System32 and fills an HcsApi (Windows only).
// The DLL stays loaded for the life of the process; calling LoadHcsApi more
// than once is cheap and returns the same table. Thread-safe.

#include "runtime/windows/hcs/api.h"
#include "runtime/base/windows/result.h"

namespace silo::runtime::windows::hcs {

// ERROR_MOD_NOT_FOUND (as an HRESULT) when the DLL is absent (no Containers
// feature, or Wine); ERROR_PROC_NOT_FOUND when a required export is missing.
win32::Result<const HcsApi*> LoadHcsApi();

}  // namespace silo::runtime::windows::hcs
