#pragma once
// Environment blocks as CreateEnvironmentBlock returns them and
// CreateProcessW(CREATE_UNICODE_ENVIRONMENT) takes them: "NAME=value"
// entries, each NUL-terminated, the block ending in an empty entry.
// Portable; thread-safe.

#include <string>
#include <vector>

namespace silo::runtime::windows::hostprocess {

// The entries of `block` (UTF-8); an empty list for a null block.
std::vector<std::string> ParseEnvironmentBlock(const wchar_t* block);
// The block for `entries`, double-NUL terminated (an empty list gives "\0\0").
std::wstring BuildEnvironmentBlock(const std::vector<std::string>& entries);

}  // namespace silo::runtime::windows::hostprocess
