#pragma once
// The layer-content primitives of LayerApi (api.h) on Win32: ntdll's
// NtCreateFile / NtSetInformationFile plus kernel32. Windows only. Kept
// apart from api_win32.cc so a Wine test can bind them without vmcompute.dll.

#include "image/layers/wcifs/api.h"
#include "image/layers/wcifs/layer_calls.h"

namespace silo::image::layers::wcifs {

// Fills backup_write_relative ... link_relative of `api`; fails only when
// ntdll lacks an export (never on a supported Windows).
HrStatus BindRelativeFileCalls(LayerApi* api);

}  // namespace silo::image::layers::wcifs
