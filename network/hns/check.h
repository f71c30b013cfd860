#pragma once
// Turning one HCN call's outputs into an HrStatus, the way hcsshim's
// checkForErrors does: the call failed when the HRESULT is a failure OR the
// error record is non-empty (HNS sometimes reports failures with S_OK plus a
// record). Every string HCN returned is freed exactly once, on every path.
// Thread-safe (no shared state).

#include <cstdint>
#include <string>
#include <string_view>

#include "network/hns/api.h"
#include "runtime/base/windows/result.h"

namespace silo::network::hns {

using silo::win32::HrStatus;
using silo::win32::Result;

// Owns a string returned by HCN (may be null) and frees it with the table.
class HcnString {
 public:
  explicit HcnString(const HcnApi& api) : api_(&api) {}
  ~HcnString() { Reset(); }
  HcnString(const HcnString&) = delete;
  HcnString& operator=(const HcnString&) = delete;

  wchar_t** out() {
    Reset();
    return &ptr_;
  }
  bool empty() const { return ptr_ == nullptr || ptr_[0] == L'\0'; }
  // UTF-8 copy ("" for null).
  std::string Utf8() const;
  void Reset();

 private:
  const HcnApi* api_;
  wchar_t* ptr_ = nullptr;
};

// Frees `error_record` and returns the call's status. `method` is the export
// name ("HcnOpenNamespace"), `object` the id it acted on (may be empty).
// When the HRESULT is S_OK but a record exists, the status takes the record's
// "Error" code if it is a failure, otherwise E_FAIL. The message is
// "method object: <record's ErrorMessage, or the raw record>".
HrStatus CheckHcnCall(std::string_view method, std::string_view object, uint32_t hr, HcnString& error_record);

}  // namespace silo::network::hns
