// Windows service tests: a Windows executable run under Wine in CI (Wine's
// services.exe implements the Service Control Manager). The test registers
// itself as a service, starts it through SCM, and stops and deletes it.
#include <windows.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "cri/daemon/windows_service_win32.h"
#include "runtime/windows/testing/win_check.h"

namespace {

using namespace silo::cri::windows_service;

#define CHECK(cond) SILO_WIN_CHECK(cond)
int Failures() { return silo::windows_testing::Failures(); }

bool Exists(const std::wstring& path) { return GetFileAttributesW(path.c_str()) != INVALID_FILE_ATTRIBUTES; }

void Touch(const std::wstring& path) {
  HANDLE h = CreateFileW(path.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS, 0, nullptr);
  if (h != INVALID_HANDLE_VALUE) CloseHandle(h);
}

bool WaitState(const std::wstring& name, DWORD state) {
  for (int i = 0; i < 300; ++i) {
    if (QueryServiceState(name) == state) return true;
    Sleep(100);
  }
  return false;
}

// Waits until no service is START_PENDING. A freshly booted Wine prefix
// starts its own services for a while; a dispatcher that connects then
// reaches one of their control pipes, and Wine (like Windows for an
// own-process service) runs our single ServiceMain for it.
void WaitForServicesToSettle() {
  SC_HANDLE scm = OpenSCManagerW(nullptr, nullptr, SC_MANAGER_ENUMERATE_SERVICE);
  if (scm == nullptr) return;
  for (int i = 0; i < 600; ++i) {
    DWORD needed = 0, count = 0, resume = 0;
    EnumServicesStatusExW(scm, SC_ENUM_PROCESS_INFO, SERVICE_WIN32 | SERVICE_DRIVER, SERVICE_STATE_ALL, nullptr, 0,
                          &needed, &count, &resume, nullptr);
    std::vector<unsigned long long> buffer(needed / sizeof(unsigned long long) + 1);  // aligned
    resume = 0;
    bool pending = false;
    if (needed > 0 && EnumServicesStatusExW(scm, SC_ENUM_PROCESS_INFO, SERVICE_WIN32 | SERVICE_DRIVER,
                                            SERVICE_STATE_ALL, reinterpret_cast<BYTE*>(buffer.data()), needed,
                                            &needed, &count, &resume, nullptr)) {
      auto* entries = reinterpret_cast<ENUM_SERVICE_STATUS_PROCESSW*>(buffer.data());
      for (DWORD k = 0; k < count; ++k) {
        if (entries[k].ServiceStatusProcess.dwCurrentState == SERVICE_START_PENDING) pending = true;
      }
    }
    if (!pending) break;
    Sleep(100);
  }
  CloseServiceHandle(scm);
}

// The service side: `exe --run-service <name> <marker dir>`.
int ServiceMainBody(const std::wstring& name, const std::wstring& dir) {
  ServiceBody body;
  body.run = [&](const std::function<bool(DWORD)>& wait_for_stop, const std::function<void()>& serving) {
    // Not RUNNING before the body says it serves.
    if (QueryServiceState(name) == SERVICE_START_PENDING) Touch(dir + L"\\pending");
    Sleep(6500);  // a long start-up: the SCM must see its checkpoints advance
    serving();
    Touch(dir + L"\\running");
    while (!wait_for_stop(1000)) {
    }
    Touch(dir + L"\\stopped");
    return 0;
  };
  HrStatus s = RunService(name, body);
  return s.ok() ? 0 : 1;
}

}  // namespace

int wmain(int argc, wchar_t** argv) {
  if (argc >= 4 && std::wstring(argv[1]) == L"--run-service") return ServiceMainBody(argv[2], argv[3]);

  wchar_t exe[MAX_PATH] = {};
  GetModuleFileNameW(nullptr, exe, MAX_PATH);
  wchar_t tmp[MAX_PATH] = {};
  GetTempPathW(MAX_PATH, tmp);
  const std::wstring name = L"silo-test-" + std::to_wstring(GetCurrentProcessId());
  const std::wstring dir = std::wstring(tmp) + name;
  CreateDirectoryW(dir.c_str(), nullptr);

  // Outside SCM, RunService fails instead of hanging.
  WaitForServicesToSettle();
  ServiceBody idle;
  idle.run = [](const std::function<bool(DWORD)>&, const std::function<void()>&) { return 0; };
  HrStatus outside = RunService(L"silo-not-a-service", idle);
  CHECK(!outside.ok());
  std::printf("[%s] RunServiceOutsideScmFails\n", outside.ok() ? "FAILED" : "  OK  ");

  const int before = Failures();
  ServiceConfig c;
  c.name = name;
  c.binary_path = exe;
  c.arguments = name + L" \"" + dir + L"\"";
  c.auto_start = false;
  c.dependencies = L"";
  HrStatus reg = RegisterService(c);
  CHECK(reg.ok());
  if (!reg.ok()) std::printf("  %s\n", reg.ToString().c_str());
  CHECK(RegisterService(c).ok());  // registering again updates in place
  CHECK(QueryServiceState(name) == SERVICE_STOPPED);
  // Wine's service manager has no SERVICE_CONFIG_FAILURE_ACTIONS_FLAG
  // (ERROR_INVALID_LEVEL); on Windows the flag must be set.
  const bool wine = GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != nullptr;
  CHECK(FailureActionsOnNonCrashFailures(name) || wine);

  SC_HANDLE scm = OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT);
  SC_HANDLE svc = OpenServiceW(scm, name.c_str(), SERVICE_START);
  CHECK(svc != nullptr && StartServiceW(svc, 0, nullptr));
  CloseServiceHandle(svc);
  // While pending, the checkpoint advances (a long recovery is progress,
  // not a hung start).
  DWORD max_checkpoint = 0;
  SC_HANDLE query = OpenServiceW(scm, name.c_str(), SERVICE_QUERY_STATUS);
  for (int i = 0; i < 300 && query != nullptr; ++i) {
    SERVICE_STATUS st = {};
    if (!QueryServiceStatus(query, &st) || st.dwCurrentState == SERVICE_RUNNING) break;
    if (st.dwCurrentState == SERVICE_START_PENDING) max_checkpoint = std::max(max_checkpoint, st.dwCheckPoint);
    Sleep(100);
  }
  if (query != nullptr) CloseServiceHandle(query);
  CHECK(max_checkpoint >= 2);
  CHECK(WaitState(name, SERVICE_RUNNING));
  CloseServiceHandle(scm);
  for (int i = 0; i < 100 && !Exists(dir + L"\\running"); ++i) Sleep(100);
  CHECK(Exists(dir + L"\\running"));
  CHECK(Exists(dir + L"\\pending"));

  CHECK(UnregisterService(name).ok());  // stops it gracefully, then deletes it
  CHECK(Exists(dir + L"\\stopped"));
  CHECK(WaitState(name, 0));
  CHECK(UnregisterService(name).ok());  // already gone: OK
  std::printf("[%s] RegisterStartStopUnregister\n", Failures() == before ? "  OK  " : "FAILED");

  DeleteFileW((dir + L"\\running").c_str());
  DeleteFileW((dir + L"\\pending").c_str());
  DeleteFileW((dir + L"\\stopped").c_str());
  RemoveDirectoryW(dir.c_str());
  std::printf("%s\n", Failures() == 0 ? "2 of 2 tests passed" : "some tests failed");
  std::fflush(stdout);
  return Failures() == 0 ? 0 : 1;
}
