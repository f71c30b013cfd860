#include "runtime/model/record_json.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace silo::runtime::model::internal {

std::string BytesToJson(const std::string& bytes) { return absl::Base64Escape(bytes); }

absl::StatusOr<std::string> BytesFromJson(const nlohmann::json& value, const char* field) {
  std::string out;
  if (!value.is_string() || !absl::Base64Unescape(value.get<std::string>(), &out)) {
    return absl::InvalidArgumentError(absl::StrCat("field '", field, "' is not base64"));
  }
  return out;
}

std::map<std::string, std::string> StringMapFromJson(const nlohmann::json& j, const char* field) {
  if (!j.contains(field)) return {};
  return j.at(field).get<std::map<std::string, std::string>>();
}

}  // namespace silo::runtime::model::internal
