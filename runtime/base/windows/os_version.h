#pragma once
// The host's Windows version as container images name it. An image's
// platform carries os.version "10.0.<build>.<revision>" (the build and the
// UBR the image was made from), and the registry client chooses among an
// index's Windows images by comparing it with the host's (hcsshim's rule:
// the same build before Windows Server 2022, builds 20348..host after).
// Pure, standard library only, thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

namespace silo::win32 {

struct OsVersion {
  uint32_t major = 0;
  uint32_t minor = 0;
  uint32_t build = 0;     // RtlGetVersion's dwBuildNumber (20348 = Windows Server 2022)
  uint32_t revision = 0;  // the UBR registry value; 0 where Windows has none
};

// "10.0.20348.2227": the os.version of the image platform this host runs.
std::string OsVersionString(const OsVersion& version);

// The tag Microsoft publishes Windows Server images of `build` under
// ("ltsc2019", "ltsc2022", "ltsc2025", or the semi-annual "1903" ...), "" for
// builds no Windows Server image was made from (client-only releases).
// Windows 11 24H2 shares build 26100 with Windows Server 2025.
std::string_view WindowsImageRelease(uint32_t build);

}  // namespace silo::win32
