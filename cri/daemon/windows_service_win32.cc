#include "cri/daemon/windows_service_win32.h"

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace silo::cri::windows_service {
namespace {

uint32_t HrFromWin32(DWORD err) { return err == 0 ? 0 : ((err & 0xFFFFu) | 0x80070000u); }

HrStatus LastError(const std::string& what) {
  DWORD err = GetLastError();
  return HrStatus(HrFromWin32(err), what + ": Win32 error " + std::to_string(err));
}

// Closes an SC_HANDLE on scope exit.
struct ScHandle {
  SC_HANDLE h = nullptr;
  explicit ScHandle(SC_HANDLE handle) : h(handle) {}
  ~ScHandle() {
    if (h != nullptr) CloseServiceHandle(h);
  }
  ScHandle(const ScHandle&) = delete;
  ScHandle& operator=(const ScHandle&) = delete;
};

// REG_MULTI_SZ from a ';'-separated list.
std::vector<wchar_t> MultiSz(const std::wstring& list) {
  std::vector<wchar_t> out;
  for (wchar_t c : list) out.push_back(c == L';' ? L'\0' : c);
  if (!list.empty()) out.push_back(L'\0');
  out.push_back(L'\0');
  return out;
}

// State shared with the SCM callbacks (one service per process).
struct Running {
  std::wstring name;
  ServiceBody body;
  SERVICE_STATUS_HANDLE status_handle = nullptr;
  HANDLE stop_event = nullptr;
  std::atomic<DWORD> checkpoint{0};
  bool started = false;  // ServiceMain ran: the dispatcher talked to our SCM entry
  HrStatus result;
  // Start-up progress: while pending, a ticker re-reports START_PENDING
  // with a new checkpoint so the SCM sees a long recovery progressing.
  std::mutex report_mu;
  bool start_pending = false;
  bool ended = false;  // the body returned: only STOPPED may be reported now
};
Running* g_running = nullptr;

constexpr DWORD kStartStepHintMs = 30000;
constexpr DWORD kStartTickMs = 5000;
// Progress is reported for at most 15 minutes: a recovery that takes longer
// is hung, and the SCM must be able to say so (and apply the restart policy).
constexpr int kMaxStartTicks = 15 * 60 * 1000 / kStartTickMs;

void Report(DWORD state, DWORD exit_code, DWORD wait_hint_ms) {
  SERVICE_STATUS st = {};
  st.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  st.dwCurrentState = state;
  st.dwControlsAccepted = state == SERVICE_RUNNING ? (SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN) : 0;
  st.dwWin32ExitCode = exit_code == 0 ? NO_ERROR : ERROR_SERVICE_SPECIFIC_ERROR;
  st.dwServiceSpecificExitCode = exit_code;
  st.dwWaitHint = wait_hint_ms;
  st.dwCheckPoint = (state == SERVICE_RUNNING || state == SERVICE_STOPPED) ? 0 : ++g_running->checkpoint;
  SetServiceStatus(g_running->status_handle, &st);
}

DWORD WINAPI Handler(DWORD control, DWORD, LPVOID, LPVOID) {
  switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
      // The body drains in-flight calls (up to ~5 s) before returning.
      {
        std::lock_guard<std::mutex> lock(g_running->report_mu);
        if (!g_running->ended) Report(SERVICE_STOP_PENDING, 0, 15000);
      }
      SetEvent(g_running->stop_event);
      return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
      return NO_ERROR;
    default:
      return ERROR_CALL_NOT_IMPLEMENTED;
  }
}

void WINAPI ServiceMain(DWORD, LPWSTR*) {
  Running* r = g_running;
  r->started = true;
  r->status_handle = RegisterServiceCtrlHandlerExW(r->name.c_str(), Handler, nullptr);
  if (r->status_handle == nullptr) {
    r->result = LastError("RegisterServiceCtrlHandlerEx");
    return;
  }
  // Start-up (recovery of every pod and container) may take a while: the
  // wait hint covers one step, the ticker's checkpoints show progress.
  {
    std::lock_guard<std::mutex> lock(r->report_mu);
    r->start_pending = true;
    Report(SERVICE_START_PENDING, 0, kStartStepHintMs);
  }
  HANDLE started_or_ended = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  std::thread ticker([r, started_or_ended] {
    for (int tick = 0; tick < kMaxStartTicks && started_or_ended != nullptr &&
                       WaitForSingleObject(started_or_ended, kStartTickMs) == WAIT_TIMEOUT;
         ++tick) {
      std::lock_guard<std::mutex> lock(r->report_mu);
      if (!r->start_pending) break;
      Report(SERVICE_START_PENDING, 0, kStartStepHintMs);
    }
  });
  auto end_start = [r, started_or_ended] {
    r->start_pending = false;
    if (started_or_ended != nullptr) SetEvent(started_or_ended);
  };
  auto wait_for_stop = [r](DWORD timeout_ms) {
    return WaitForSingleObject(r->stop_event, timeout_ms) == WAIT_OBJECT_0;
  };
  auto serving = [r, &end_start] {
    std::lock_guard<std::mutex> lock(r->report_mu);
    end_start();
    Report(SERVICE_RUNNING, 0, 0);
  };
  const int code = r->body.run(wait_for_stop, serving);
  {
    std::lock_guard<std::mutex> lock(r->report_mu);
    end_start();
    r->ended = true;
  }
  ticker.join();
  if (started_or_ended != nullptr) CloseHandle(started_or_ended);
  // The last act: once STOPPED is reported the dispatcher may return and
  // RunService's state go, so nothing of it is touched after this.
  Report(SERVICE_STOPPED, static_cast<DWORD>(code), 0);
}

}  // namespace

HrStatus RegisterService(const ServiceConfig& c) {
  if (c.binary_path.empty()) return HrStatus(0x80070057u, "RegisterService: binary_path is required");
  ScHandle scm(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CREATE_SERVICE | SC_MANAGER_CONNECT));
  if (scm.h == nullptr) return LastError("OpenSCManager (run as Administrator)");
  std::wstring cmd = L"\"" + c.binary_path + L"\" --run-service";
  if (!c.arguments.empty()) cmd += L" " + c.arguments;
  std::vector<wchar_t> deps = MultiSz(c.dependencies);
  const DWORD start = c.auto_start ? SERVICE_AUTO_START : SERVICE_DEMAND_START;
  ScHandle svc(CreateServiceW(scm.h, c.name.c_str(), c.display_name.c_str(), SERVICE_ALL_ACCESS,
                              SERVICE_WIN32_OWN_PROCESS, start, SERVICE_ERROR_NORMAL, cmd.c_str(), nullptr,
                              nullptr, deps.data(), nullptr, nullptr));
  if (svc.h == nullptr && GetLastError() == ERROR_SERVICE_EXISTS) {
    svc.h = OpenServiceW(scm.h, c.name.c_str(), SERVICE_ALL_ACCESS);
    if (svc.h == nullptr) return LastError("OpenService");
    if (!ChangeServiceConfigW(svc.h, SERVICE_WIN32_OWN_PROCESS, start, SERVICE_ERROR_NORMAL, cmd.c_str(), nullptr,
                              nullptr, deps.data(), nullptr, nullptr, c.display_name.c_str())) {
      return LastError("ChangeServiceConfig");
    }
  } else if (svc.h == nullptr) {
    return LastError("CreateService");
  }
  std::wstring description = c.description;
  SERVICE_DESCRIPTIONW d = {description.data()};
  ChangeServiceConfig2W(svc.h, SERVICE_CONFIG_DESCRIPTION, &d);  // cosmetic: ignore failure
  SC_ACTION actions[3] = {{SC_ACTION_RESTART, 10000}, {SC_ACTION_RESTART, 10000}, {SC_ACTION_RESTART, 10000}};
  SERVICE_FAILURE_ACTIONSW fa = {};
  fa.dwResetPeriod = 86400;
  fa.cActions = 3;
  fa.lpsaActions = actions;
  if (!ChangeServiceConfig2W(svc.h, SERVICE_CONFIG_FAILURE_ACTIONS, &fa)) {
    return LastError("setting the service's restart policy");
  }
  // Without it the policy applies only when the process crashes, not when
  // silod exits with an error (a failed start-up, a fatal error).
  SERVICE_FAILURE_ACTIONS_FLAG on_error = {};
  on_error.fFailureActionsOnNonCrashFailures = TRUE;
  if (!ChangeServiceConfig2W(svc.h, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &on_error)) {
    // Windows has the setting since Vista; Wine's service manager (8.0)
    // answers ERROR_INVALID_LEVEL for it. There the service is registered
    // with restarts on crashes only, and says so.
    if (GetLastError() != ERROR_INVALID_LEVEL) return LastError("applying the restart policy to non-crash failures");
    std::fprintf(stderr,
                 "silod: warning: this service manager cannot restart the service after a non-crash failure "
                 "(SERVICE_CONFIG_FAILURE_ACTIONS_FLAG: ERROR_INVALID_LEVEL); it restarts it after crashes only\n");
  }
  return HrStatus::Ok();
}

HrStatus UnregisterService(const std::wstring& name) {
  ScHandle scm(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
  if (scm.h == nullptr) return LastError("OpenSCManager (run as Administrator)");
  ScHandle svc(OpenServiceW(scm.h, name.c_str(), SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE));
  if (svc.h == nullptr) {
    if (GetLastError() == ERROR_SERVICE_DOES_NOT_EXIST) return HrStatus::Ok();
    return LastError("OpenService");
  }
  SERVICE_STATUS st = {};
  if (ControlService(svc.h, SERVICE_CONTROL_STOP, &st)) {
    for (int i = 0; i < 300 && st.dwCurrentState != SERVICE_STOPPED; ++i) {
      Sleep(100);
      if (!QueryServiceStatus(svc.h, &st)) break;
    }
  }
  if (!DeleteService(svc.h) && GetLastError() != ERROR_SERVICE_MARKED_FOR_DELETE) return LastError("DeleteService");
  return HrStatus::Ok();
}

HrStatus RunService(const std::wstring& name, ServiceBody body) {
  Running running;
  running.name = name;
  running.body = std::move(body);
  running.stop_event = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (running.stop_event == nullptr) return LastError("CreateEvent");
  g_running = &running;
  std::wstring n = name;
  SERVICE_TABLE_ENTRYW table[] = {{n.data(), ServiceMain}, {nullptr, nullptr}};
  HrStatus result = StartServiceCtrlDispatcherW(table) ? running.result
                                                        : LastError("StartServiceCtrlDispatcher (not started by SCM?)");
  // A dispatcher that returns without ever starting our service (it reached
  // another service's control pipe) must not read as a clean run.
  if (result.ok() && !running.started) {
    result = HrStatus(HrFromWin32(ERROR_FAILED_SERVICE_CONTROLLER_CONNECT),
                      "StartServiceCtrlDispatcher returned without starting the service (not started by SCM?)");
  }
  g_running = nullptr;
  CloseHandle(running.stop_event);
  return result;
}

DWORD QueryServiceState(const std::wstring& name) {
  ScHandle scm(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
  if (scm.h == nullptr) return 0;
  ScHandle svc(OpenServiceW(scm.h, name.c_str(), SERVICE_QUERY_STATUS));
  if (svc.h == nullptr) return 0;
  SERVICE_STATUS st = {};
  return QueryServiceStatus(svc.h, &st) ? st.dwCurrentState : 0;
}

bool FailureActionsOnNonCrashFailures(const std::wstring& name) {
  ScHandle scm(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
  if (scm.h == nullptr) return false;
  ScHandle svc(OpenServiceW(scm.h, name.c_str(), SERVICE_QUERY_CONFIG));
  if (svc.h == nullptr) return false;
  SERVICE_FAILURE_ACTIONS_FLAG flag = {};
  DWORD needed = 0;
  if (!QueryServiceConfig2W(svc.h, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, reinterpret_cast<BYTE*>(&flag), sizeof(flag),
                            &needed)) {
    return false;
  }
  return flag.fFailureActionsOnNonCrashFailures != FALSE;
}

}  // namespace silo::cri::windows_service
