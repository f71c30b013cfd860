#pragma once
// The one rule for the relative paths the layer-content primitives of
// LayerApi accept (api.h). Both the Win32 binding and FakeLayerApi check
// through it, so the fake refuses exactly the names the real calls refuse.
//
// A relative path is '/' or '\\' separated, non-empty, at most 32767 UTF-16
// units (the NT limit; no MAX_PATH), and is refused when it
//   - is absolute or rooted ("\\x", "/x", "\\\\server\\x"),
//   - contains ':' anywhere (a drive letter "C:x", or an alternate data
//     stream "a:s": streams travel inside the backup stream, never as names),
//   - has an empty component ("a//b", a trailing separator),
//   - has a component made only of dots and spaces ("." ".." "..." ". "),
//     which Win32 normalisation would turn into "." or "..",
//   - has a control character or one of the NTFS-invalid "*?\"<>|".
// Refusals are kHrInvalidRelativePath. Standard library only.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace silo::image::layers::wcifs {

// HRESULT_FROM_WIN32(ERROR_INVALID_NAME): the relative path is malformed.
inline constexpr uint32_t kHrInvalidRelativePath = 0x8007007B;
// HRESULT_FROM_WIN32(ERROR_REPARSE_POINT_ENCOUNTERED), what NtCreateFile's
// STATUS_REPARSE_POINT_ENCOUNTERED maps to under OBJ_DONT_REPARSE: a
// component below the root is a reparse point (junction, symlink).
inline constexpr uint32_t kHrReparsePointEncountered = 0x8007112B;

// The components of `rel`, or an empty vector when it is refused.
std::vector<std::wstring> SplitRelativePath(std::wstring_view rel);

// `rel` with '\\' separators, or an empty string when it is refused.
std::wstring NormalizeRelativePath(std::wstring_view rel);

}  // namespace silo::image::layers::wcifs
