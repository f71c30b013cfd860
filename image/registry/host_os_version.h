#pragma once
// The os.version HostPlatform() reports: "10.0.<build>.<UBR>" on Windows
// (RtlGetVersion and the UBR registry value, runtime/base/windows), "" where
// images carry no os.version (Linux) or when Windows cannot say. One
// implementation per platform; thread-safe.

#include <string>

namespace silo::image::registry {

std::string HostOsVersion();

}  // namespace silo::image::registry
