#include "runtime/base/windows/long_path.h"

#include <vector>

namespace silo::win32 {
namespace {

bool IsSep(wchar_t c) { return c == L'\\' || c == L'/'; }

bool HasDrive(std::wstring_view p) {
  return p.size() >= 2 && p[1] == L':' && ((p[0] >= L'A' && p[0] <= L'Z') || (p[0] >= L'a' && p[0] <= L'z'));
}

bool IsDriveAbsolute(std::wstring_view p) { return HasDrive(p) && p.size() >= 3 && IsSep(p[2]); }

bool IsUnc(std::wstring_view p) { return p.size() >= 3 && IsSep(p[0]) && IsSep(p[1]) && !IsSep(p[2]); }

// Appends the components of `rest` to `parts`, applying "." and "..";
// ".." stops at the root (parts[0..keep) are the root and never popped).
void AppendComponents(std::wstring_view rest, std::vector<std::wstring>& parts, size_t keep) {
  size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && IsSep(rest[i])) ++i;
    size_t j = i;
    while (j < rest.size() && !IsSep(rest[j])) ++j;
    std::wstring_view c = rest.substr(i, j - i);
    if (c.empty() || c == L".") {
      // nothing
    } else if (c == L"..") {
      if (parts.size() > keep) parts.pop_back();
    } else {
      parts.emplace_back(c);
    }
    i = j;
  }
}

std::wstring Join(std::wstring prefix, const std::vector<std::wstring>& parts, size_t from) {
  for (size_t i = from; i < parts.size(); ++i) {
    prefix += parts[i];
    if (i + 1 < parts.size()) prefix += L'\\';
  }
  return prefix;
}

// The server and share of a UNC path (\\server\share\...), taken literally.
bool UncRoot(std::wstring_view p, std::wstring& server, std::wstring& share, std::wstring_view& rest) {
  size_t i = 2, j = i;
  while (j < p.size() && !IsSep(p[j])) ++j;
  server = std::wstring(p.substr(i, j - i));
  i = j;
  while (i < p.size() && IsSep(p[i])) ++i;
  j = i;
  while (j < p.size() && !IsSep(p[j])) ++j;
  share = std::wstring(p.substr(i, j - i));
  rest = p.substr(j);
  return !server.empty() && !share.empty() && server != L"." && server != L".." && share != L"." && share != L"..";
}

// An absolute drive or UNC path as an extended-length path.
std::wstring Normalise(std::wstring_view abs) {
  std::vector<std::wstring> parts;
  if (IsDriveAbsolute(abs)) {
    std::wstring root = L"\\\\?\\";
    root += static_cast<wchar_t>(abs[0] >= L'a' && abs[0] <= L'z' ? abs[0] - L'a' + L'A' : abs[0]);
    root += L":\\";
    AppendComponents(abs.substr(3), parts, 0);
    return Join(root, parts, 0);
  }
  std::wstring server, share;
  std::wstring_view rest;
  if (!UncRoot(abs, server, share, rest)) return L"";
  std::wstring root = L"\\\\?\\UNC\\" + server + L"\\" + share;
  AppendComponents(rest, parts, 0);
  return parts.empty() ? root : Join(root + L"\\", parts, 0);
}

}  // namespace

std::wstring ToLongPath(std::wstring_view path, std::wstring_view cwd) {
  if (path.empty()) return L"";
  if (path.size() >= 4 && IsSep(path[0]) && IsSep(path[1]) && (path[2] == L'?' || path[2] == L'.') && IsSep(path[3])) {
    return std::wstring(path);
  }
  if (IsDriveAbsolute(path) || IsUnc(path)) return Normalise(path);
  if (!IsDriveAbsolute(cwd) && !IsUnc(cwd)) return L"";
  if (IsSep(path[0])) {
    // Rooted: the root of cwd's drive or share.
    if (IsDriveAbsolute(cwd)) return Normalise(std::wstring(cwd.substr(0, 2)) + std::wstring(path));
    std::wstring server, share;
    std::wstring_view ignored;
    if (!UncRoot(cwd, server, share, ignored)) return L"";
    return Normalise(L"\\\\" + server + L"\\" + share + std::wstring(path));
  }
  if (HasDrive(path)) {
    // "C:x" is relative to the current directory of drive C:, which only cwd
    // can tell when it is on the same drive; otherwise the drive's root.
    bool same_drive = HasDrive(cwd) && (cwd[0] | 0x20) == (path[0] | 0x20);
    std::wstring base = same_drive ? std::wstring(cwd) : std::wstring(path.substr(0, 2)) + L"\\";
    return Normalise(base + L"\\" + std::wstring(path.substr(2)));
  }
  return Normalise(std::wstring(cwd) + L"\\" + std::wstring(path));
}

}  // namespace silo::win32
