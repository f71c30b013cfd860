#pragma once
// Registry authentication (distribution token spec + Basic):
//  - ParseChallenges reads WWW-Authenticate headers ("Basic realm=..",
//    "Bearer realm=..,service=..,scope=.."); parameter values may be tokens
//    or quoted strings, with commas and escaped quotes inside quotes.
//  - AuthConfig mirrors the CRI/Docker credential fields.
//  - TokenCache fetches bearer tokens from the challenge's realm and keeps
//    them per (registry host, scope) until `expires_in` (default 60 s) runs
//    out, so a pull of many layers asks the token server once.
//
// TokenCache is thread-safe; two callers racing on the same key may both
// fetch (harmless, the last one wins).

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/base/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "image/registry/http_transport.h"

namespace silo::image::registry {

struct Challenge {
  std::string scheme;                         // lowercase: "basic", "bearer"
  std::map<std::string, std::string> params;  // lowercase names: realm, service, scope, error
};

// Parses every challenge in the given header values. Malformed input yields
// what could be parsed (possibly nothing); never fails.
std::vector<Challenge> ParseChallenges(const std::vector<std::string>& header_values);

// Credentials for one registry (the CRI AuthConfig fields).
struct AuthConfig {
  std::string username;
  std::string password;
  std::string auth;            // base64("user:pass"), used when username is empty
  std::string identity_token;  // OAuth2 refresh token
  std::string registry_token;  // a bearer token to send as is

  bool HasBasic() const { return !username.empty() || !auth.empty(); }
  bool Empty() const { return !HasBasic() && identity_token.empty() && registry_token.empty(); }
  // "Basic <base64(user:pass)>", or InvalidArgument when `auth` does not
  // decode to "user:pass".
  absl::StatusOr<std::string> BasicHeader() const;
};

// Percent-encodes a query component (RFC 3986 unreserved characters kept).
std::string UrlQueryEscape(absl::string_view s);

struct Token {
  std::string value;
  absl::Time expires;
};

class TokenCache {
 public:
  // `transport` must outlive the cache.
  explicit TokenCache(HttpTransport* transport, absl::Duration default_ttl = absl::Seconds(60));

  // A cached, unexpired token for (host, scope), if any.
  std::optional<std::string> Lookup(const std::string& host, const std::string& scope) const;

  // Fetches a token for `challenge` (a Bearer challenge from `host`) and
  // caches it under (host, scope). Uses `auth` when given: registry_token is
  // used directly; identity_token goes through the OAuth2 refresh-token POST;
  // username/password as Basic on the GET. Unauthenticated naming the realm
  // when the token server refuses.
  absl::StatusOr<std::string> Fetch(const std::string& host, const std::string& scope, const Challenge& challenge,
                                    const std::optional<AuthConfig>& auth);

  // Drops the token for (host, scope) (after the registry rejected it).
  void Invalidate(const std::string& host, const std::string& scope);

  void set_clock_for_test(absl::Time (*now)()) { now_ = now; }

 private:
  absl::StatusOr<Token> FetchWithGet(const Challenge& challenge, const std::string& scope,
                                     const std::optional<AuthConfig>& auth);
  absl::StatusOr<Token> FetchWithOAuth(const Challenge& challenge, const std::string& scope,
                                       const AuthConfig& auth);
  absl::StatusOr<Token> ParseTokenResponse(const std::string& realm, const HttpResponse& resp);

  HttpTransport* const transport_;
  const absl::Duration default_ttl_;
  absl::Time (*now_)() = &absl::Now;
  mutable silo::Mutex mu_;
  absl::flat_hash_map<std::pair<std::string, std::string>, Token> tokens_ ABSL_GUARDED_BY(mu_);
};

}  // namespace silo::image::registry
