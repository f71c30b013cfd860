#include "runtime/windows/host_path/resolve.h"

#include <vector>

#include "runtime/windows/hcs/wide.h"

namespace silo::runtime::windows::host_path {
namespace {

using hcs::HrStatus;
using hcs::Result;

constexpr size_t kMaxPath = 32768;  // the longest \\?\ path, in UTF-16 units with the NUL

uint32_t HResultFromWin32(uint32_t err) { return err == 0 ? 0 : ((err & 0x0000FFFFu) | (7u << 16) | 0x80000000u); }

HrStatus Win32Error(const char* call, const std::wstring& path, uint32_t err) {
  return HrStatus(HResultFromWin32(err),
                  std::string(call) + " \"" + hcs::WideToUtf8(path) + "\": error " + std::to_string(err));
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

}  // namespace

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
