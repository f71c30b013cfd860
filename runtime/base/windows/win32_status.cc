#include "runtime/base/windows/win32_status.h"

#include <windows.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "runtime/base/windows/wide.h"

namespace silo::win32 {
namespace {

std::string SystemMessage(DWORD error) {
  wchar_t* text = nullptr;
  DWORD n = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                           nullptr, error, 0, reinterpret_cast<wchar_t*>(&text), 0, nullptr);
  std::string out;
  if (n > 0 && text != nullptr) {
    out = WideToUtf8(std::wstring_view(text, n));
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == '.')) out.pop_back();
  }
  if (text != nullptr) LocalFree(text);
  return out.empty() ? "unknown error" : out;
}

}  // namespace

absl::Status Win32ErrorToStatus(uint32_t error, absl::string_view context) {
  std::string msg = absl::StrCat(context, ": ", SystemMessage(error), " (Win32 error ", error, ")");
  switch (error) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_DRIVE:
      return absl::NotFoundError(msg);
    case ERROR_FILE_EXISTS:
    case ERROR_ALREADY_EXISTS:
      return absl::AlreadyExistsError(msg);
    case ERROR_ACCESS_DENIED:
    case ERROR_PRIVILEGE_NOT_HELD:
      return absl::PermissionDeniedError(msg);
    case ERROR_INVALID_NAME:
    case ERROR_INVALID_PARAMETER:
    case ERROR_FILENAME_EXCED_RANGE:
    case ERROR_DIRECTORY:
      return absl::InvalidArgumentError(msg);
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL:
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
    case ERROR_TOO_MANY_OPEN_FILES:
      return absl::ResourceExhaustedError(msg);
    case ERROR_SHARING_VIOLATION:
    case ERROR_LOCK_VIOLATION:
    case ERROR_PIPE_BUSY:
      return absl::UnavailableError(msg);
    default:
      return absl::InternalError(msg);
  }
}

absl::Status LastErrorToStatus(absl::string_view context) { return Win32ErrorToStatus(GetLastError(), context); }

}  // namespace silo::win32
