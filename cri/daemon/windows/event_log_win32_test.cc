// The event log under Wine: the installer's registry key (values as
// Windows reads them, idempotent install, clean removal), and the sink
// over the real advapi32 calls, which Wine accepts but does not store (the
// entry's content is proven against the fake on Linux; on a Windows host,
// Get-EventLog -LogName Application -Source silo shows it).
#include <windows.h>

#include <string>

#include "cri/daemon/windows/event_log_api_win32.h"
#include "cri/daemon/windows/event_log_sink.h"
#include "cri/daemon/windows/event_log_source_win32.h"
#include "runtime/windows/testing/win_check.h"

namespace {

using namespace silo::cri::windows;
#define CHECK(cond) SILO_WIN_CHECK(cond)

const std::wstring kSource = L"silo-test-" + std::to_wstring(GetCurrentProcessId());

std::wstring KeyPath() { return std::wstring(kEventLogApplicationKey) + kSource; }

bool KeyExists() {
  HKEY key = nullptr;
  if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, KeyPath().c_str(), 0, KEY_READ, &key) != ERROR_SUCCESS) return false;
  RegCloseKey(key);
  return true;
}

void InstallWritesTheSourceKey() {
  CHECK(InstallEventLogSource(kSource).ok());
  CHECK(InstallEventLogSource(kSource).ok());  // a re-install rewrites it

  wchar_t file[MAX_PATH] = {};
  DWORD size = sizeof(file);
  DWORD type = 0;
  CHECK(RegGetValueW(HKEY_LOCAL_MACHINE, KeyPath().c_str(), L"EventMessageFile", RRF_RT_REG_EXPAND_SZ | RRF_NOEXPAND,
                     &type, file, &size) == ERROR_SUCCESS);
  CHECK(type == REG_EXPAND_SZ);
  CHECK(std::wstring(file) == L"%SystemRoot%\\System32\\EventCreate.exe");
  DWORD types = 0;
  size = sizeof(types);
  CHECK(RegGetValueW(HKEY_LOCAL_MACHINE, KeyPath().c_str(), L"TypesSupported", RRF_RT_REG_DWORD, nullptr, &types,
                     &size) == ERROR_SUCCESS);
  CHECK(types == 7);
  DWORD custom = 0;
  size = sizeof(custom);
  CHECK(RegGetValueW(HKEY_LOCAL_MACHINE, KeyPath().c_str(), L"CustomSource", RRF_RT_REG_DWORD, nullptr, &custom,
                     &size) == ERROR_SUCCESS);
  CHECK(custom == 1);
}

void SinkWritesThroughAdvapi32() {
  auto sink = EventLogSink::Open(Win32EventLogApi(), kSource);
  CHECK(sink.ok());
  if (!sink.ok()) return;
  CHECK((*sink)->Report(ServiceEvent::kStarted, "silod started (test)").ok());
  CHECK((*sink)->Report(ServiceEvent::kFatalError, "fatal (test)").ok());
  CHECK((*sink)->Report(ServiceEvent::kStopped, "silod stopped (test)").ok());
}

void RemoveDeletesTheKey() {
  CHECK(KeyExists());
  CHECK(RemoveEventLogSource(kSource).ok());
  CHECK(!KeyExists());
  CHECK(RemoveEventLogSource(kSource).ok());  // already gone is fine
}

}  // namespace

int main() {
  const silo::windows_testing::WinTest tests[] = {
      {"InstallWritesTheSourceKey", InstallWritesTheSourceKey},
      {"SinkWritesThroughAdvapi32", SinkWritesThroughAdvapi32},
      {"RemoveDeletesTheKey", RemoveDeletesTheKey},
  };
  return silo::windows_testing::RunWinTests(tests);
}
