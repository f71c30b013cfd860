#pragma once
// The installer's half of the event log: the source's registry key
//   HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\<source>
// with EventMessageFile = %SystemRoot%\System32\EventCreate.exe (REG_EXPAND_SZ,
// whose message table prints the entry's own text for ids 1..1000, so silod
// needs no message DLL), TypesSupported = error|warning|information and
// CustomSource = 1, as eventcreate.exe and Go's eventlog.InstallAsEventCreate
// write it. Called by `silod --register-service` and removed by
// `--unregister-service`; needs Administrator rights. Windows only.

#include <string>

#include "runtime/base/windows/result.h"

namespace silo::cri::windows {

inline constexpr wchar_t kEventLogApplicationKey[] = L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\";
inline constexpr wchar_t kEventCreateMessageFile[] = L"%SystemRoot%\\System32\\EventCreate.exe";

// Creates or updates the key (idempotent: a re-install rewrites the values).
win32::HrStatus InstallEventLogSource(const std::wstring& source = L"silo");
// Deletes the key; a missing key is OK.
win32::HrStatus RemoveEventLogSource(const std::wstring& source = L"silo");

}  // namespace silo::cri::windows
