#include "runtime/windows/hostprocess/environment_block.h"

#include <cwchar>

#include "runtime/base/windows/wide.h"

namespace silo::runtime::windows::hostprocess {

std::vector<std::string> ParseEnvironmentBlock(const wchar_t* block) {
  std::vector<std::string> out;
  if (block == nullptr) return out;
  for (const wchar_t* e = block; *e != L'\0'; e += std::wcslen(e) + 1) out.push_back(silo::win32::WideToUtf8(e));
  return out;
}

std::wstring BuildEnvironmentBlock(const std::vector<std::string>& entries) {
  std::wstring block;
  for (const std::string& e : entries) {
    block += silo::win32::Utf8ToWide(e);
    block.push_back(L'\0');
  }
  if (entries.empty()) block.push_back(L'\0');  // CreateProcessW needs two NULs even for no entries
  block.push_back(L'\0');
  return block;
}

}  // namespace silo::runtime::windows::hostprocess
