#include "image/layers/wcifs/relative_path.h"

namespace silo::image::layers::wcifs {
namespace {

constexpr size_t kMaxNtPath = 32767;

bool BadComponent(std::wstring_view part) {
  if (part.empty()) return true;
  if (part.find_first_not_of(L". ") == std::wstring_view::npos) return true;
  for (wchar_t c : part) {
    if (c < 0x20 || c == L':' || c == L'*' || c == L'?' || c == L'"' || c == L'<' || c == L'>' || c == L'|') {
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<std::wstring> SplitRelativePath(std::wstring_view rel) {
  std::vector<std::wstring> parts;
  if (rel.empty() || rel.size() > kMaxNtPath || rel.front() == L'/' || rel.front() == L'\\') return {};
  size_t start = 0;
  while (true) {
    const size_t sep = rel.find_first_of(L"/\\", start);
    const std::wstring_view part = rel.substr(start, sep == std::wstring_view::npos ? rel.npos : sep - start);
    if (BadComponent(part)) return {};
    parts.emplace_back(part);
    if (sep == std::wstring_view::npos) break;
    start = sep + 1;
  }
  return parts;
}

std::wstring NormalizeRelativePath(std::wstring_view rel) {
  const std::vector<std::wstring> parts = SplitRelativePath(rel);
  std::wstring out;
  for (const auto& p : parts) {
    if (!out.empty()) out += L'\\';
    out += p;
  }
  return out;
}

}  // namespace silo::image::layers::wcifs
