#include "image/registry/http_transport.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace silo::image::registry {

std::string HttpResponse::Header(absl::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

std::vector<std::string> HttpResponse::Headers(absl::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers) {
    if (k == name) out.push_back(v);
  }
  return out;
}

namespace {

struct UrlParts {
  std::string scheme;     // lowercase
  std::string authority;  // host[:port] as written
  std::string rest;       // path?query, starting with '/' or empty
};

bool SplitUrl(absl::string_view url, UrlParts* out) {
  size_t colon = url.find("://");
  if (colon == absl::string_view::npos || colon == 0) return false;
  out->scheme = absl::AsciiStrToLower(url.substr(0, colon));
  absl::string_view after = url.substr(colon + 3);
  size_t slash = after.find_first_of("/?#");
  out->authority = std::string(after.substr(0, slash));
  out->rest = slash == absl::string_view::npos ? "" : std::string(after.substr(slash));
  // Userinfo never takes part in the origin.
  if (size_t at = out->authority.rfind('@'); at != std::string::npos) out->authority.erase(0, at + 1);
  return !out->authority.empty();
}

}  // namespace

std::string UrlHostPort(absl::string_view url) {
  UrlParts p;
  return SplitUrl(url, &p) ? p.authority : "";
}

std::string UrlOrigin(absl::string_view url) {
  UrlParts p;
  if (!SplitUrl(url, &p)) return "";
  std::string host = absl::AsciiStrToLower(p.authority);
  // An explicit port is present unless the last ':' belongs to an IPv6 literal.
  size_t colon = host.rfind(':');
  bool has_port = colon != std::string::npos && host.find(']', colon) == std::string::npos;
  if (!has_port) absl::StrAppend(&host, p.scheme == "https" ? ":443" : ":80");
  return absl::StrCat(p.scheme, "://", host);
}

std::string ResolveLocation(absl::string_view base, absl::string_view location) {
  size_t scheme_end = location.find("://");
  if (scheme_end != absl::string_view::npos && scheme_end > 0 &&
      location.substr(0, scheme_end).find_first_of("/?#") == absl::string_view::npos) {
    return std::string(location);
  }
  UrlParts p;
  if (!SplitUrl(base, &p)) return std::string(location);
  if (absl::StartsWith(location, "//")) return absl::StrCat(p.scheme, ":", location);
  if (absl::StartsWith(location, "/")) return absl::StrCat(p.scheme, "://", p.authority, location);
  absl::string_view path = absl::string_view(p.rest).substr(0, p.rest.find_first_of("?#"));
  size_t last = path.rfind('/');
  absl::string_view dir = last == absl::string_view::npos ? absl::string_view("/") : path.substr(0, last + 1);
  return absl::StrCat(p.scheme, "://", p.authority, dir, location);
}

}  // namespace silo::image::registry
