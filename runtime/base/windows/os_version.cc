#include "runtime/base/windows/os_version.h"

#include <array>
#include <utility>

namespace silo::win32 {

std::string OsVersionString(const OsVersion& v) {
  return std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.build) + "." +
         std::to_string(v.revision);
}

std::string_view WindowsImageRelease(uint32_t build) {
  // Windows Server builds with container base images (mcr.microsoft.com
  // windows/servercore and nanoserver tags), from hcsshim's osversion list
  // and Microsoft's Windows Server release information.
  static constexpr std::array<std::pair<uint32_t, std::string_view>, 8> kReleases = {{
      {14393, "ltsc2016"},
      {17763, "ltsc2019"},
      {18362, "1903"},
      {18363, "1909"},
      {19041, "2004"},
      {19042, "20H2"},
      {20348, "ltsc2022"},
      {26100, "ltsc2025"},
  }};
  for (const auto& [b, name] : kReleases) {
    if (b == build) return name;
  }
  return {};
}

}  // namespace silo::win32
