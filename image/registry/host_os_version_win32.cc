#include "image/registry/host_os_version.h"

#include "runtime/base/windows/os_version_win32.h"

namespace silo::image::registry {

std::string HostOsVersion() {
  win32::Result<win32::OsVersion> version = win32::HostOsVersion();
  return version.ok() ? win32::OsVersionString(*version) : std::string();
}

}  // namespace silo::image::registry
