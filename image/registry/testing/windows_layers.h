#pragma once
// Layers of Windows test images as Microsoft ships them: Files/ is C:\,
// Hives/ the registry hives. Test-only.

#include <string>
#include <vector>

#include "image/registry/platform.h"
#include "image/registry/testing/oci_layout.h"

namespace silo::image::registry::testing {

// windows/amd64 of the given os.version ("10.0.20348.2227").
Platform WindowsPlatform(const std::string& os_version);

// A base layer: a System32 with a SYSTEM hive and ntdll.dll, and the base
// hives; `build` marks its content so bases of two builds differ.
std::vector<TestFile> WindowsBaseLayer(const std::string& build);

// The same with the utility VM a Hyper-V isolated pod boots from:
// UtilityVM/Files (its boot manager) and UtilityVM/SystemTemplate.vhdx.
std::vector<TestFile> WindowsBaseLayerWithUtilityVm(const std::string& build);

}  // namespace silo::image::registry::testing
