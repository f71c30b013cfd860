#pragma once
// silod as a Windows service: registration with the Service Control Manager
// (--register-service / --unregister-service) and the service entry point
// (--run-service). The daemon body runs on its own thread; SCM's stop and
// shutdown controls ask it to stop (the same path as SIGTERM on Linux) and
// the service reports STOP_PENDING with a wait hint until the body returns,
// so kubelet's in-flight calls drain within SCM's timeout.
//
// Win32 only (cross-compiled with mingw-w64; tested under Wine). No Abseil:
// results are HrStatus like the other Win32 layers.

#include <windows.h>

#include <functional>
#include <string>

#include "runtime/base/windows/result.h"

namespace silo::cri::windows_service {

using silo::win32::HrStatus;

struct ServiceConfig {
  std::wstring name = L"silo";
  std::wstring display_name = L"Silo container runtime";
  std::wstring description = L"Kubernetes CRI runtime (silod): pod sandboxes and containers for kubelet";
  std::wstring binary_path;  // absolute path of silod.exe
  std::wstring arguments;    // appended after --run-service, e.g. L"--config C:\\ProgramData\\silo\\silod.yaml"
  bool auto_start = true;
  // Services started before silod: HNS for pod networking, vmcompute (the
  // Host Compute Service) for containers.
  std::wstring dependencies = L"hns;vmcompute";
};

// Creates (or updates) the service and sets its description and a restart
// on failure policy (3 restarts, 10 s apart), applied also when silod exits
// with an error code, not only when it crashes (a failed start-up ends the
// service with a service-specific exit code).
HrStatus RegisterService(const ServiceConfig& config);
// Stops the service if it runs, then deletes it. A missing service is OK.
HrStatus UnregisterService(const std::wstring& name);

// The daemon body: calls `serving` once it answers (the service reports
// START_PENDING until then, RUNNING after, so dependants and `sc start`
// see RUNNING only when silod serves), runs until `wait_for_stop` says so,
// and returns the exit code.
struct ServiceBody {
  std::function<int(const std::function<bool(DWORD timeout_ms)>& wait_for_stop, const std::function<void()>& serving)>
      run;
};

// Connects to SCM and runs `body` as service `name`; returns when the
// service stopped. Fails when the process was not started by SCM.
HrStatus RunService(const std::wstring& name, ServiceBody body);

// The current state of a service (SERVICE_RUNNING ...), or 0 if absent.
DWORD QueryServiceState(const std::wstring& name);
// Whether the service's failure actions apply to non-crash failures
// (SERVICE_CONFIG_FAILURE_ACTIONS_FLAG); false if absent or unreadable.
bool FailureActionsOnNonCrashFailures(const std::wstring& name);

}  // namespace silo::cri::windows_service
