#include "runtime/base/windows/os_version_query.h"

#include <string>

namespace silo::win32 {
namespace {

constexpr uint32_t kErrorFileNotFound = 2;
constexpr uint32_t kFacilityNtBit = 0x10000000;  // HRESULT_FROM_NT

uint32_t HResultFromWin32(uint32_t error) { return error == 0 ? 0 : (error & 0xFFFF) | 0x80070000u; }

}  // namespace

Result<OsVersion> QueryOsVersion(const OsVersionApi& api) {
  OsVersionInfo info{};
  info.size = sizeof(info);
  if (const int32_t status = api.rtl_get_version(&info); status != 0) {
    return HrStatus(static_cast<uint32_t>(status) | kFacilityNtBit, "RtlGetVersion");
  }
  if (info.build == 0) return HrStatus(0x8000FFFFu, "RtlGetVersion reported build 0");
  OsVersion v{info.major, info.minor, info.build, 0};
  uint32_t ubr = 0;
  const auto error = static_cast<uint32_t>(api.read_hklm_dword(kCurrentVersionKey, L"UBR", &ubr));
  if (error == 0) {
    v.revision = ubr;
  } else if (error != kErrorFileNotFound) {
    return HrStatus(HResultFromWin32(error),
                    "RegGetValueW HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion UBR: error " +
                        std::to_string(error));
  }
  return v;
}

}  // namespace silo::win32
