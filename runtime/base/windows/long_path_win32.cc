#include "runtime/base/windows/long_path_win32.h"

#include <windows.h>

#include "runtime/base/windows/long_path.h"
#include "runtime/base/windows/wide.h"

namespace silo::win32 {

std::wstring LongPath(std::string_view utf8) {
  std::wstring wide = Utf8ToWide(utf8);
  std::wstring cwd;
  DWORD n = GetCurrentDirectoryW(0, nullptr);
  if (n > 0) {
    cwd.resize(n);
    n = GetCurrentDirectoryW(n, cwd.data());
    cwd.resize(n);
  }
  return ToLongPath(wide, cwd);
}

}  // namespace silo::win32
