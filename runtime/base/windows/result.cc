#include "runtime/base/windows/result.h"

#include <cstdio>

namespace silo::win32 {

std::string HexHResult(uint32_t hr) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08X", static_cast<unsigned>(hr));
  return buf;
}

std::string HrStatus::ToString() const {
  if (ok()) return "OK";
  return message_ + " (HRESULT " + HexHResult(hr_) + ")";
}

}  // namespace silo::win32
