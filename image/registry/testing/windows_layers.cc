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

std::vector<TestFile> WindowsBaseLayerWithUtilityVm(const std::string& build) {
  std::vector<TestFile> layer = WindowsBaseLayer(build);
  layer.insert(layer.end(), {{"UtilityVM/", ""},
                             {"UtilityVM/Files/", ""},
                             {"UtilityVM/Files/EFI/", ""},
                             {"UtilityVM/Files/EFI/Microsoft/", ""},
                             {"UtilityVM/Files/EFI/Microsoft/Boot/", ""},
                             {"UtilityVM/Files/EFI/Microsoft/Boot/bootmgfw.efi", "uvm boot manager " + build},
                             {"UtilityVM/SystemTemplate.vhdx", "uvm scratch template " + build}});
  return layer;
}

}  // namespace silo::image::registry::testing
