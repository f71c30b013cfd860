#pragma once
// UTF-8 <-> wide strings for the HCS API. On Windows wchar_t is UTF-16 (what
// computecore.dll takes); on Linux it is UTF-32, which only the fake sees.
// Invalid input (bad UTF-8, lone surrogates) becomes U+FFFD rather than an
// error: ids and JSON we send are produced by us and valid, and text HCS
// returns is only parsed or logged. Pure functions, thread-safe.

#include <string>
#include <string_view>

namespace silo::win32 {

std::wstring Utf8ToWide(std::string_view utf8);
std::string WideToUtf8(std::wstring_view wide);
// Null-safe variant for strings returned by HCS.
std::string WideToUtf8(const wchar_t* wide);

}  // namespace silo::win32
