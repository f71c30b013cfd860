// hcs_smoke.exe: loads computecore.dll into an HcsApi table and says whether
// it worked. Exit 0 when the table loaded, 1 when the DLL or an export is
// missing (expected under Wine or without the Containers feature).
#include <cstdio>

#include "runtime/windows/hcs/api_win32.h"

int main() {
  using silo::runtime::windows::hcs::LoadHcsApi;
  auto api = LoadHcsApi();
  if (!api.ok()) {
    std::printf("computecore.dll: not available: %s\n", api.status().ToString().c_str());
    return 1;
  }
  std::printf("computecore.dll: loaded (HcsCancelOperation %s)\n",
              (*api)->cancel_operation != nullptr ? "present" : "absent");
  return 0;
}
