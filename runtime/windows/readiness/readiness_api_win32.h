#pragma once
// The ReadinessApi bound to kernel32 and advapi32 (Windows only), and the
// probe over it. Nothing here needs the Containers feature: that is what
// the probe looks for.

#include "runtime/windows/readiness/readiness_api.h"
#include "runtime/windows/readiness/runtime_readiness.h"

namespace silo::runtime::windows::readiness {

const ReadinessApi& Win32ReadinessApi();

// ProbeRuntimeReadiness(Win32ReadinessApi()): what silod's Status reports.
RuntimeReadiness ProbeHostRuntimeReadiness();

}  // namespace silo::runtime::windows::readiness
