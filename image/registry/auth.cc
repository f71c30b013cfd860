#include "image/registry/auth.h"

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "runtime/base/status_macros.h"
#include "runtime/base/mutex.h"

namespace silo::image::registry {
namespace {

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~/:").find(c) != std::string_view::npos;
}

void SkipSpace(absl::string_view s, size_t* i) {
  while (*i < s.size() && (s[*i] == ' ' || s[*i] == '\t')) ++*i;
}

// Parses one header value, which may hold several challenges:
//   Bearer realm="a,b",service=x, Basic realm="y"
void ParseOne(absl::string_view s, std::vector<Challenge>* out) {
  size_t i = 0;
  while (i < s.size()) {
    SkipSpace(s, &i);
    while (i < s.size() && s[i] == ',') { ++i; SkipSpace(s, &i); }
    size_t start = i;
    while (i < s.size() && IsTokenChar(s[i]) && s[i] != '=') ++i;
    if (i == start) return;  // garbage: keep what we have
    std::string word(s.substr(start, i - start));
    SkipSpace(s, &i);
    if (i < s.size() && s[i] == '=' && !out->empty()) {
      // A parameter of the current challenge.
      ++i;
      SkipSpace(s, &i);
      std::string value;
      if (i < s.size() && s[i] == '"') {
        ++i;
        while (i < s.size() && s[i] != '"') {
          if (s[i] == '\\' && i + 1 < s.size()) ++i;
          value.push_back(s[i++]);
        }
        if (i < s.size()) ++i;  // closing quote
      } else {
        size_t vs = i;
        while (i < s.size() && s[i] != ',' && s[i] != ' ' && s[i] != '\t') ++i;
        value = std::string(s.substr(vs, i - vs));
      }
      out->back().params[absl::AsciiStrToLower(word)] = value;
      SkipSpace(s, &i);
      if (i < s.size() && s[i] == ',') ++i;
      continue;
    }
    // A new scheme name (token68 forms such as "Negotiate abc==" are not used by registries).
    out->push_back(Challenge{absl::AsciiStrToLower(word), {}});
  }
}

}  // namespace

std::vector<Challenge> ParseChallenges(const std::vector<std::string>& header_values) {
  std::vector<Challenge> out;
  for (const auto& v : header_values) {
    // Parsed apart so parameters never leak into the previous line's challenge.
    std::vector<Challenge> line;
    ParseOne(v, &line);
    out.insert(out.end(), line.begin(), line.end());
  }
  return out;
}

std::string UrlQueryEscape(absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

absl::StatusOr<std::string> AuthConfig::BasicHeader() const {
  if (!username.empty()) return absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(username, ":", password)));
  std::string decoded;
  if (!absl::Base64Unescape(auth, &decoded) || decoded.find(':') == std::string::npos) {
    return absl::InvalidArgumentError("auth field is not base64 of \"user:password\"");
  }
  return absl::StrCat("Basic ", absl::Base64Escape(decoded));
}

TokenCache::TokenCache(HttpTransport* transport, absl::Duration default_ttl)
    : transport_(transport), default_ttl_(default_ttl) {}

std::optional<std::string> TokenCache::Lookup(const std::string& host, const std::string& scope) const {
  silo::MutexLock lock(&mu_);
  auto it = tokens_.find(std::make_pair(host, scope));
  if (it == tokens_.end() || it->second.expires <= now_()) return std::nullopt;
  return it->second.value;
}

void TokenCache::Invalidate(const std::string& host, const std::string& scope) {
  silo::MutexLock lock(&mu_);
  tokens_.erase(std::make_pair(host, scope));
}

absl::StatusOr<std::string> TokenCache::Fetch(const std::string& host, const std::string& scope,
                                              const Challenge& challenge, const std::optional<AuthConfig>& auth) {
  Token token;
  if (auth.has_value() && !auth->registry_token.empty()) {
    token = Token{auth->registry_token, now_() + default_ttl_};
  } else if (auth.has_value() && !auth->identity_token.empty()) {
    SILO_ASSIGN_OR_RETURN(token, FetchWithOAuth(challenge, scope, *auth));
  } else {
    SILO_ASSIGN_OR_RETURN(token, FetchWithGet(challenge, scope, auth));
  }
  silo::MutexLock lock(&mu_);
  tokens_[std::make_pair(host, scope)] = token;
  return token.value;
}

absl::StatusOr<Token> TokenCache::ParseTokenResponse(const std::string& realm, const HttpResponse& resp) {
  if (resp.status == 401 || resp.status == 403) {
    return absl::UnauthenticatedError(
        absl::StrCat("token server ", realm, " refused the credentials (HTTP ", resp.status, ")"));
  }
  if (resp.status != 200) {
    return absl::UnavailableError(absl::StrCat("token server ", realm, " answered HTTP ", resp.status));
  }
  nlohmann::json doc = nlohmann::json::parse(resp.body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return absl::UnavailableError(absl::StrCat("token server ", realm, " sent invalid JSON"));
  std::string value;
  if (doc.contains("token") && doc["token"].is_string()) value = doc["token"].get<std::string>();
  if (value.empty() && doc.contains("access_token") && doc["access_token"].is_string()) {
    value = doc["access_token"].get<std::string>();
  }
  if (value.empty()) return absl::UnavailableError(absl::StrCat("token server ", realm, " sent no token"));
  absl::Duration ttl = default_ttl_;
  if (doc.contains("expires_in") && doc["expires_in"].is_number_integer() && doc["expires_in"].get<int64_t>() > 0) {
    ttl = absl::Seconds(doc["expires_in"].get<int64_t>());
  }
  return Token{value, now_() + ttl};
}

absl::StatusOr<Token> TokenCache::FetchWithGet(const Challenge& challenge, const std::string& scope,
                                               const std::optional<AuthConfig>& auth) {
  auto realm_it = challenge.params.find("realm");
  if (realm_it == challenge.params.end() || realm_it->second.empty()) {
    return absl::UnavailableError("bearer challenge without realm");
  }
  const std::string& realm = realm_it->second;
  std::string url = realm;
  char sep = realm.find('?') == std::string::npos ? '?' : '&';
  auto add = [&](absl::string_view key, absl::string_view value) {
    absl::StrAppend(&url, std::string(1, sep), key, "=", UrlQueryEscape(value));
    sep = '&';
  };
  if (auto it = challenge.params.find("service"); it != challenge.params.end()) add("service", it->second);
  if (!scope.empty()) add("scope", scope);
  HttpRequest req;
  req.url = url;
  if (auth.has_value() && auth->HasBasic()) {
    SILO_ASSIGN_OR_RETURN(std::string basic, auth->BasicHeader());
    req.headers.emplace_back("Authorization", basic);
  }
  SILO_ASSIGN_OR_RETURN(HttpResponse resp, transport_->Do(std::move(req)));
  return ParseTokenResponse(realm, resp);
}

absl::StatusOr<Token> TokenCache::FetchWithOAuth(const Challenge& challenge, const std::string& scope,
                                                 const AuthConfig& auth) {
  auto realm_it = challenge.params.find("realm");
  if (realm_it == challenge.params.end()) return absl::UnavailableError("bearer challenge without realm");
  HttpRequest req;
  req.method = "POST";
  req.url = realm_it->second;
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.body = absl::StrCat("grant_type=refresh_token&client_id=silo&refresh_token=",
                          UrlQueryEscape(auth.identity_token));
  if (auto it = challenge.params.find("service"); it != challenge.params.end()) {
    absl::StrAppend(&req.body, "&service=", UrlQueryEscape(it->second));
  }
  if (!scope.empty()) absl::StrAppend(&req.body, "&scope=", UrlQueryEscape(scope));
  SILO_ASSIGN_OR_RETURN(HttpResponse resp, transport_->Do(std::move(req)));
  return ParseTokenResponse(realm_it->second, resp);
}

}  // namespace silo::image::registry
