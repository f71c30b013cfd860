#pragma once
// Extended-length ("\\?\") paths for the file APIs of Windows.
//
// Without the prefix, most Win32 file functions fail beyond MAX_PATH (260
// characters) unless the machine opted into long paths, and a content store
// or layer tree easily goes deeper. With it, Windows stops normalising: "/",
// "." and ".." are taken literally. So the path is made absolute and
// normalised here, once, before the prefix is added.
//
// Standard library only (pure string work, tested on Linux too).

#include <string>
#include <string_view>

namespace silo::win32 {

// `path` (UTF-16, "/" or "\" separators) as an extended-length path:
//   C:\a\..\b/c        -> \\?\C:\b\c
//   \\server\share\x   -> \\?\UNC\server\share\x
//   \\?\... and \\.\... are returned unchanged (already device paths).
// A relative path (no drive, or drive-relative "C:x", or rooted "\x") is
// resolved against `cwd`, which must be absolute ("C:\work"). ".." never
// climbs above the drive or share root. Empty when `path` is empty, or when it
// is relative and `cwd` is not absolute.
std::wstring ToLongPath(std::wstring_view path, std::wstring_view cwd);

}  // namespace silo::win32
