#pragma once
// Fills a ProcessApi from kernel32, advapi32, userenv and netapi32 (Windows
// only). BfSetupFilter (bindfltapi.dll, WS2022+) is bound when the DLL
// exists; without it promote_to_silo and bind_path fail, and
// BindFilterAvailable() says so for the wiring. Thread-safe.

#include "runtime/windows/hostprocess/process_api.h"

namespace silo::runtime::windows::hostprocess {

const ProcessApi& Win32ProcessApi();
bool BindFilterAvailable();

}  // namespace silo::runtime::windows::hostprocess
