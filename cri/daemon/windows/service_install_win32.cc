// Windows only (built by the mingw project).
#include "cri/daemon/windows/service_install_win32.h"

#include "cri/daemon/windows/event_log_source_win32.h"

namespace silo::cri::windows {

win32::HrStatus InstallSiloService(const windows_service::ServiceConfig& config) {
  if (win32::HrStatus s = windows_service::RegisterService(config); !s.ok()) return s;
  if (win32::HrStatus s = InstallEventLogSource(config.name); !s.ok()) {
    return win32::HrStatus(s.hr(), "service registered, but its event log source not: " + s.message());
  }
  return win32::HrStatus::Ok();
}

win32::HrStatus UninstallSiloService(const std::wstring& name) {
  if (win32::HrStatus s = windows_service::UnregisterService(name); !s.ok()) return s;
  return RemoveEventLogSource(name);
}

}  // namespace silo::cri::windows
