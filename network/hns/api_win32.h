#pragma once
// Loads computenetwork.dll from System32 and fills an HcnApi (Windows only).
// The DLL stays loaded for the life of the process; calling LoadHcnApi more
// than once is cheap and returns the same table. Thread-safe.

#include "network/hns/api.h"
#include "network/hns/check.h"

namespace silo::network::hns {

// ERROR_MOD_NOT_FOUND (as an HRESULT) when the DLL is absent (no Containers
// feature, or Wine); ERROR_PROC_NOT_FOUND when a required export is missing.
// Both satisfy errors::IsUnsupported.
Result<const HcnApi*> LoadHcnApi();

}  // namespace silo::network::hns
