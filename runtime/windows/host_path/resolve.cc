#include "runtime/windows/host_path/resolve.h"

#include <vector>

#include "runtime/base/windows/wide.h"

namespace silo::runtime::windows::host_path {
namespace {

using silo::win32::HrStatus;
using silo::win32::Result;

constexpr size_t kMaxPath = 32768;  // the longest \\?\ path, in UTF-16 units with the NUL

uint32_t HResultFromWin32(uint32_t err) { return err == 0 ? 0 : ((err & 0x0000FFFFu) | (7u << 16) | 0x80000000u); }

HrStatus Win32Error(const char* call, const std::wstring& path, uint32_t err) {
  return HrStatus(HResultFromWin32(err),
                  std::string(call) + " \"" + win32::WideToUtf8(path) + "\": error " + std::to_string(err));
}

// The final name with `flags`, growing the buffer to what the call asks for
// (the path can change between calls: a few tries).
Result<std::wstring> FinalName(const HostPathApi& api, void* handle, const std::wstring& path, uint32_t flags) {
  std::vector<wchar_t> buffer(261);  // MAX_PATH + 1: most names fit at once
  for (int attempt = 0; attempt < 4; ++attempt) {
    uint32_t error = 0;
    const uint32_t n = api.get_final_path_name_by_handle(handle, buffer.data(), static_cast<uint32_t>(buffer.size()),
                                                         flags, &error);
    if (n == 0 && error == kErrorMoreData && buffer.size() < kMaxPath) {  // a small buffer, no size given
      buffer.resize(kMaxPath);
      continue;
    }
    if (n == 0) return Win32Error("GetFinalPathNameByHandleW", path, error == 0 ? kErrorInvalidParameter : error);
    if (n < buffer.size()) return std::wstring(buffer.data(), n);
    buffer.resize(n);
  }
  return Win32Error("GetFinalPathNameByHandleW", path, kErrorInvalidParameter);
}

// The parent of `path`, "" at a root (C:\, \\server\share, \\?\C:\).
std::wstring Parent(const std::wstring& path) {
  std::wstring p = path;
  while (!p.empty() && (p.back() == L'\\' || p.back() == L'/')) p.pop_back();
  const size_t slash = p.find_last_of(L"\\/");
  if (slash == std::wstring::npos) return L"";
  std::wstring parent = p.substr(0, slash + 1);
  // Nothing above a drive root or a share: "C:\", "\\?\C:\", "\\srv\" and the like.
  const std::wstring bare = parent.compare(0, 4, L"\\\\?\\") == 0 ? parent.substr(4) : parent;
  if (bare.size() <= 3 && bare.find(L':') != std::wstring::npos) return L"";
  if (parent.size() <= 2 || parent.find_first_not_of(L"\\/") == std::wstring::npos) return L"";
  if (parent.compare(0, 2, L"\\\\") == 0 && parent.compare(0, 4, L"\\\\?\\") != 0 &&
      parent.find_first_of(L"\\/", 2) == slash) {
    return L"";  // "\\srv\share\": the share itself cannot be made
  }
  return parent;
}

}  // namespace

HrStatus CreateHostDirectories(const HostPathApi& api, const std::wstring& path) {
  uint32_t err = api.create_directory(path.c_str());
  if (err == kErrorPathNotFound) {
    const std::wstring parent = Parent(path);
    if (parent.empty()) return Win32Error("CreateDirectoryW", path, err);
    if (HrStatus up = CreateHostDirectories(api, parent); !up.ok()) return up;
    err = api.create_directory(path.c_str());
  }
  if (err == 0 || err == kErrorAlreadyExists) return HrStatus::Ok();
  return Win32Error("CreateDirectoryW", path, err);
}

Result<std::wstring> ResolveHostPath(const HostPathApi& api, const std::wstring& path) {
  void* handle = nullptr;
  if (uint32_t err = api.open_existing(path.c_str(), &handle); err != 0) return Win32Error("CreateFileW", path, err);
  struct Closer {
    const HostPathApi& api;
    void* handle;
    ~Closer() { (void)api.close_handle(handle); }
  } closer{api, handle};

  Result<std::wstring> guid = FinalName(api, handle, path, kFileNameOpened | kVolumeNameGuid);
  if (guid.ok() || guid.status().hr() != HResultFromWin32(kErrorPathNotFound)) return guid;
  // A network share: no volume GUID. Its DOS form, without the \\?\UNC\ prefix.
  Result<std::wstring> dos = FinalName(api, handle, path, kFileNameOpened | kVolumeNameDos);
  if (!dos.ok()) return dos;
  const std::wstring unc = L"\\\\?\\UNC\\";
  if (dos->compare(0, unc.size(), unc) == 0) return L"\\\\" + dos->substr(unc.size());
  return dos;
}

}  // namespace silo::runtime::windows::host_path
