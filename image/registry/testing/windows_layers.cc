#include "image/registry/testing/windows_layers.h"

namespace silo::image::registry::testing {

Platform WindowsPlatform(const std::string& os_version) { return Platform{"windows", "amd64", "", os_version, {}}; }

std::vector<TestFile> WindowsBaseLayer(const std::string& build) {
  return {{"Files/", ""},
          {"Files/Windows/", ""},
          {"Files/Windows/System32/", ""},
          {"Files/Windows/System32/config/", ""},
          {"Files/Windows/System32/config/SYSTEM", "system hive " + build},
          {"Files/Windows/System32/ntdll.dll", std::string(20000, 'n') + build},
          {"Hives/", ""},
          {"Hives/System_Base", "base hive " + build},
          {"Hives/Software_Base", "software hive " + build}};
}

}  // namespace silo::image::registry::testing
