// Windows only (built by the mingw project).
#include "cri/daemon/windows/event_log_source_win32.h"

#include <windows.h>

#include "runtime/base/windows/wide.h"

namespace silo::cri::windows {
namespace {

win32::HrStatus Failed(LSTATUS error, const std::string& what) {
  return win32::HrStatus(static_cast<uint32_t>(HRESULT_FROM_WIN32(error)), what + ": error " + std::to_string(error));
}

LSTATUS SetDword(HKEY key, const wchar_t* name, DWORD value) {
  return RegSetValueExW(key, name, 0, REG_DWORD, reinterpret_cast<const BYTE*>(&value), sizeof(value));
}

}  // namespace

win32::HrStatus InstallEventLogSource(const std::wstring& source) {
  const std::wstring path = std::wstring(kEventLogApplicationKey) + source;
  const std::string where = "HKLM\\" + win32::WideToUtf8(path);
  HKEY key = nullptr;
  LSTATUS s = RegCreateKeyExW(HKEY_LOCAL_MACHINE, path.c_str(), 0, nullptr, REG_OPTION_NON_VOLATILE, KEY_SET_VALUE,
                              nullptr, &key, nullptr);
  if (s != ERROR_SUCCESS) return Failed(s, "RegCreateKeyExW " + where);
  const std::wstring file = kEventCreateMessageFile;
  s = RegSetValueExW(key, L"EventMessageFile", 0, REG_EXPAND_SZ, reinterpret_cast<const BYTE*>(file.c_str()),
                     static_cast<DWORD>((file.size() + 1) * sizeof(wchar_t)));
  if (s == ERROR_SUCCESS) {
    s = SetDword(key, L"TypesSupported", EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE);
  }
  if (s == ERROR_SUCCESS) s = SetDword(key, L"CustomSource", 1);
  RegCloseKey(key);
  if (s != ERROR_SUCCESS) return Failed(s, "RegSetValueExW " + where);
  return win32::HrStatus::Ok();
}

win32::HrStatus RemoveEventLogSource(const std::wstring& source) {
  const std::wstring path = std::wstring(kEventLogApplicationKey) + source;
  const LSTATUS s = RegDeleteKeyW(HKEY_LOCAL_MACHINE, path.c_str());
  if (s == ERROR_SUCCESS || s == ERROR_FILE_NOT_FOUND) return win32::HrStatus::Ok();
  return Failed(s, "RegDeleteKeyW HKLM\\" + win32::WideToUtf8(path));
}

}  // namespace silo::cri::windows
