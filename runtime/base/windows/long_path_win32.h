#pragma once
// The extended-length path (long_path.h) of a UTF-8 path, relative paths
// resolved against the process's current directory. Win32 only.

#include <string>
#include <string_view>

namespace silo::win32 {

// Empty when `utf8` is empty or the current directory cannot be read.
std::wstring LongPath(std::string_view utf8);

}  // namespace silo::win32
