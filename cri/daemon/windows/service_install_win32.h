#pragma once
// What `silod.exe --register-service` and `--unregister-service` do: the
// service with the Service Control Manager (windows_service_win32.h) and its
// Application event log source of the same name (event_log_source_win32.h),
// together, so the installer and the uninstaller make one call each. Both
// are idempotent; both need Administrator rights. Windows only.

#include <string>

#include "cri/daemon/windows_service_win32.h"
#include "runtime/base/windows/result.h"

namespace silo::cri::windows {

// RegisterService(config), then InstallEventLogSource(config.name). A
// failure names the step; running it again finishes the job.
win32::HrStatus InstallSiloService(const windows_service::ServiceConfig& config);

// UnregisterService(name) (stops the service first), then
// RemoveEventLogSource(name). Whatever is already gone is fine.
win32::HrStatus UninstallSiloService(const std::wstring& name = L"silo");

}  // namespace silo::cri::windows
