#include "runtime/windows/hypervisor/modify_request.h"

#include <cctype>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace silo::runtime::windows::hypervisor {

using nlohmann::json;

json HostModify(absl::string_view request_type, absl::string_view resource_path, json settings) {
  json request = {{"RequestType", std::string(request_type)}, {"ResourcePath", std::string(resource_path)}};
  if (!settings.is_null()) request["Settings"] = std::move(settings);
  return request;
}

json GuestModification(absl::string_view request_type, absl::string_view resource_type, json settings) {
  return {{"RequestType", std::string(request_type)},
          {"ResourceType", std::string(resource_type)},
          {"Settings", std::move(settings)}};
}

json GuestOnlyModify(json guest) { return {{"GuestRequest", std::move(guest)}}; }

absl::StatusOr<std::string> Serialize(const json& document) {
  try {
    return document.dump();
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("encoding HCS request as JSON: ", e.what()));
  }
}

bool IsGuidString(absl::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool separator = i == 8 || i == 13 || i == 18 || i == 23;
    const bool hex = std::isxdigit(static_cast<unsigned char>(s[i])) != 0;
    if (separator != (s[i] == '-') || (!separator && !hex)) return false;
  }
  return true;
}

bool IsAbsoluteWindowsPath(absl::string_view p) {
  if (p.find('\0') != absl::string_view::npos) return false;
  const bool drive = p.size() >= 3 && std::isalpha(static_cast<unsigned char>(p[0])) != 0 && p[1] == ':' &&
                     (p[2] == '\\' || p[2] == '/');
  const bool unc = p.size() > 2 && p[0] == '\\' && p[1] == '\\';
  return drive || unc;
}

}  // namespace silo::runtime::windows::hypervisor
