#include "network/cni/result.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace silo::network::cni {
namespace {

using nlohmann::json;

absl::Status Bad(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("CNI result: ", field, " ", why));
}

bool ValidIPv4(absl::string_view ip) {
  std::vector<absl::string_view> parts = absl::StrSplit(ip, '.');
  if (parts.size() != 4) return false;
  for (absl::string_view p : parts) {
    int v;
    if (p.empty() || p.size() > 3 || !absl::SimpleAtoi(p, &v) || v < 0 || v > 255) return false;
  }
  return true;
}

bool ValidIPv6(absl::string_view ip) {
  if (ip.size() < 2 || ip.find(':') == absl::string_view::npos) return false;
  for (char c : ip) {
    if (!(absl::ascii_isxdigit(c) || c == ':' || c == '.')) return false;
  }
  return true;
}

bool ValidIp(absl::string_view ip) { return ValidIPv4(ip) || ValidIPv6(ip); }

bool ValidCidr(absl::string_view cidr) {
  size_t slash = cidr.find('/');
  if (slash == absl::string_view::npos) return false;
  absl::string_view ip = cidr.substr(0, slash);
  int prefix;
  if (!absl::SimpleAtoi(cidr.substr(slash + 1), &prefix) || prefix < 0) return false;
  if (ValidIPv4(ip)) return prefix <= 32;
  return ValidIPv6(ip) && prefix <= 128;
}

absl::StatusOr<std::string> OptString(const json& obj, const char* key, absl::string_view where) {
  if (!obj.contains(key) || obj[key].is_null()) return std::string();
  if (!obj[key].is_string()) return Bad(absl::StrCat(where, ".", key), "is not a string");
  return obj[key].get<std::string>();
}

absl::StatusOr<std::vector<std::string>> OptStrings(const json& obj, const char* key, absl::string_view where) {
  std::vector<std::string> out;
  if (!obj.contains(key) || obj[key].is_null()) return out;
  if (!obj[key].is_array()) return Bad(absl::StrCat(where, ".", key), "is not a list");
  for (const auto& v : obj[key]) {
    if (!v.is_string()) return Bad(absl::StrCat(where, ".", key), "has a non-string entry");
    out.push_back(v.get<std::string>());
  }
  return out;
}

absl::StatusOr<const json*> OptArray(const json& doc, const char* key) {
  if (!doc.contains(key) || doc[key].is_null()) return nullptr;
  if (!doc[key].is_array()) return Bad(key, "is not a list");
  return &doc[key];
}

std::optional<std::string> Primary(const Result& r, bool v6) {
  for (const auto& ip : r.ips) {
    if (ip.IsIPv6() != v6) continue;
    if (r.interfaces.empty()) return ip.Ip();
    if (ip.interface && *ip.interface >= 0 && static_cast<size_t>(*ip.interface) < r.interfaces.size() &&
        !r.interfaces[*ip.interface].sandbox.empty()) {
      return ip.Ip();
    }
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<Result> ParseResult(const json& doc) {
  if (!doc.is_object()) return Bad("document", "is not a JSON object");
  Result r;
  r.raw = doc;
  if (!doc.contains("cniVersion") || !doc["cniVersion"].is_string()) return Bad("cniVersion", "is missing");
  r.cni_version = doc["cniVersion"].get<std::string>();
  if (r.cni_version != "1.0.0" && r.cni_version != "0.4.0" && !absl::StartsWith(r.cni_version, "0.3.")) {
    return Bad("cniVersion", absl::StrCat("\"", r.cni_version, "\" is not supported (want 0.3.x, 0.4.0 or 1.0.0)"));
  }

  auto interfaces = OptArray(doc, "interfaces");
  if (!interfaces.ok()) return interfaces.status();
  if (*interfaces) {
    for (size_t i = 0; i < (*interfaces)->size(); ++i) {
      const json& j = (**interfaces)[i];
      std::string where = absl::StrCat("interfaces[", i, "]");
      if (!j.is_object()) return Bad(where, "is not an object");
      ResultInterface itf;
      auto name = OptString(j, "name", where);
      if (!name.ok()) return name.status();
      if (name->empty()) return Bad(where, "has no name");
      itf.name = *name;
      auto mac = OptString(j, "mac", where);
      if (!mac.ok()) return mac.status();
      itf.mac = *mac;
      auto sandbox = OptString(j, "sandbox", where);
      if (!sandbox.ok()) return sandbox.status();
      itf.sandbox = *sandbox;
      if (j.contains("mtu") && j["mtu"].is_number_integer()) itf.mtu = j["mtu"].get<int>();
      r.interfaces.push_back(std::move(itf));
    }
  }

  auto ips = OptArray(doc, "ips");
  if (!ips.ok()) return ips.status();
  if (*ips) {
    for (size_t i = 0; i < (*ips)->size(); ++i) {
      const json& j = (**ips)[i];
      std::string where = absl::StrCat("ips[", i, "]");
      if (!j.is_object()) return Bad(where, "is not an object");
      ResultIp ip;
      auto address = OptString(j, "address", where);
      if (!address.ok()) return address.status();
      if (!ValidCidr(*address)) return Bad(where + ".address", absl::StrCat("\"", *address, "\" is not a CIDR"));
      ip.address = *address;
      auto gateway = OptString(j, "gateway", where);
      if (!gateway.ok()) return gateway.status();
      if (!gateway->empty() && !ValidIp(*gateway)) {
        return Bad(where + ".gateway", absl::StrCat("\"", *gateway, "\" is not an IP"));
      }
      ip.gateway = *gateway;
      if (j.contains("interface") && !j["interface"].is_null()) {
        if (!j["interface"].is_number_integer()) return Bad(where + ".interface", "is not an integer");
        int idx = j["interface"].get<int>();
        if (idx < 0 || static_cast<size_t>(idx) >= r.interfaces.size()) {
          return Bad(where + ".interface", absl::StrCat(idx, " is not an index into interfaces"));
        }
        ip.interface = idx;
      }
      r.ips.push_back(std::move(ip));
    }
  }

  auto routes = OptArray(doc, "routes");
  if (!routes.ok()) return routes.status();
  if (*routes) {
    for (size_t i = 0; i < (*routes)->size(); ++i) {
      const json& j = (**routes)[i];
      std::string where = absl::StrCat("routes[", i, "]");
      if (!j.is_object()) return Bad(where, "is not an object");
      auto dst = OptString(j, "dst", where);
      if (!dst.ok()) return dst.status();
      if (!ValidCidr(*dst)) return Bad(where + ".dst", absl::StrCat("\"", *dst, "\" is not a CIDR"));
      auto gw = OptString(j, "gw", where);
      if (!gw.ok()) return gw.status();
      if (!gw->empty() && !ValidIp(*gw)) return Bad(where + ".gw", absl::StrCat("\"", *gw, "\" is not an IP"));
      r.routes.push_back({*dst, *gw});
    }
  }

  if (doc.contains("dns") && !doc["dns"].is_null()) {
    const json& d = doc["dns"];
    if (!d.is_object()) return Bad("dns", "is not an object");
    auto ns = OptStrings(d, "nameservers", "dns");
    if (!ns.ok()) return ns.status();
    auto domain = OptString(d, "domain", "dns");
    if (!domain.ok()) return domain.status();
    auto search = OptStrings(d, "search", "dns");
    if (!search.ok()) return search.status();
    auto options = OptStrings(d, "options", "dns");
    if (!options.ok()) return options.status();
    r.dns = {*ns, *domain, *search, *options};
  }
  return r;
}

absl::StatusOr<Result> ParseResult(const std::string& text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Bad("document", "is not valid JSON");
  return ParseResult(doc);
}

std::optional<std::string> PrimaryIPv4(const Result& result) { return Primary(result, /*v6=*/false); }
std::optional<std::string> PrimaryIPv6(const Result& result) { return Primary(result, /*v6=*/true); }

}  // namespace silo::network::cni
