// --register-service / --unregister-service under Wine's service manager:
// both the service and its event log source appear, and both go.
#include <windows.h>

#include <string>

#include "cri/daemon/windows/event_log_source_win32.h"
#include "cri/daemon/windows/service_install_win32.h"
#include "runtime/windows/testing/win_check.h"

namespace {

using namespace silo::cri::windows;
#define CHECK(cond) SILO_WIN_CHECK(cond)

bool SourceKeyExists(const std::wstring& name) {
  HKEY key = nullptr;
  const std::wstring path = std::wstring(kEventLogApplicationKey) + name;
  if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, path.c_str(), 0, KEY_READ, &key) != ERROR_SUCCESS) return false;
  RegCloseKey(key);
  return true;
}

void InstallThenUninstall() {
  wchar_t exe[MAX_PATH] = {};
  GetModuleFileNameW(nullptr, exe, MAX_PATH);
  silo::cri::windows_service::ServiceConfig c;
  c.name = L"silo-install-test-" + std::to_wstring(GetCurrentProcessId());
  c.binary_path = exe;
  c.auto_start = false;
  c.dependencies = L"";  // Wine has no hns

  silo::win32::HrStatus s = InstallSiloService(c);
  if (!s.ok()) std::printf("  %s\n", s.ToString().c_str());
  CHECK(s.ok());
  CHECK(InstallSiloService(c).ok());  // a re-install updates both in place
  CHECK(silo::cri::windows_service::QueryServiceState(c.name) == SERVICE_STOPPED);
  CHECK(SourceKeyExists(c.name));

  CHECK(UninstallSiloService(c.name).ok());
  CHECK(silo::cri::windows_service::QueryServiceState(c.name) == 0);
  CHECK(!SourceKeyExists(c.name));
  CHECK(UninstallSiloService(c.name).ok());  // nothing left: still OK
}

}  // namespace

int main() {
  const silo::windows_testing::WinTest tests[] = {{"InstallThenUninstall", InstallThenUninstall}};
  return silo::windows_testing::RunWinTests(tests);
}
