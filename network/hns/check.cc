#include "network/hns/check.h"

#include "network/hns/errors.h"
#include "nlohmann/json.hpp"
#include "runtime/base/windows/wide.h"

namespace silo::network::hns {

std::string HcnString::Utf8() const { return win32::WideToUtf8(ptr_); }

void HcnString::Reset() {
  if (ptr_ != nullptr) api_->free_string(ptr_);
  ptr_ = nullptr;
}

HrStatus CheckHcnCall(std::string_view method, std::string_view object, uint32_t hr, HcnString& error_record) {
  const std::string record = error_record.Utf8();
  error_record.Reset();
  if (!errors::Failed(hr) && record.empty()) return HrStatus::Ok();

  uint32_t code = hr;
  std::string detail = record;
  // The record is usually HCS-style {"Error":<int>,"ErrorMessage":"..."}; keep raw text otherwise.
  const nlohmann::json doc = nlohmann::json::parse(record, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object()) {
    if (auto it = doc.find("ErrorMessage"); it != doc.end() && it->is_string() && !it->get<std::string>().empty()) {
      detail = it->get<std::string>();
    }
    if (auto it = doc.find("Error"); !errors::Failed(code) && it != doc.end() && it->is_number_integer()) {
      code = static_cast<uint32_t>(it->get<int64_t>());
    }
  }
  if (!errors::Failed(code)) code = errors::kEFail;

  std::string message(method);
  if (!object.empty()) message.append(" ").append(object);
  message += ": ";
  if (!detail.empty()) {
    message += detail;
  } else if (const char* name = errors::Name(code); name != nullptr) {
    message += name;
  } else {
    message += "failed";
  }
  return HrStatus(code, std::move(message));
}

}  // namespace silo::network::hns
