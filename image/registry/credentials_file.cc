#include "image/registry/credentials_file.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"

namespace silo::image::registry {

std::string NormalizeRegistryHost(const std::string& key) {
  std::string host = absl::AsciiStrToLower(key);
  for (const char* scheme : {"https://", "http://"}) {
    if (absl::StartsWith(host, scheme)) host = host.substr(std::string(scheme).size());
  }
  if (size_t slash = host.find('/'); slash != std::string::npos) host = host.substr(0, slash);
  if (host == "index.docker.io" || host == "registry-1.docker.io" || host == "registry.hub.docker.com") {
    return "docker.io";
  }
  return host;
}

absl::StatusOr<CredentialsFile> CredentialsFile::Parse(const std::string& path, const std::string& text) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("registry credentials ", path, ": not a JSON object"));
  }
  CredentialsFile out;
  if (!doc.contains("auths")) return out;
  if (!doc["auths"].is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("registry credentials ", path, ": \"auths\" must be an object"));
  }
  for (const auto& item : doc["auths"].items()) {
    // Named, not structured bindings: clang before 16 cannot capture those.
    const std::string& key = item.key();
    const nlohmann::json& entry = item.value();
    std::string where = absl::StrCat("registry credentials ", path, ": auths[\"", key, "\"]");
    if (!entry.is_object()) return absl::InvalidArgumentError(where + " must be an object");
    auto str = [&](const char* field) -> std::string {
      return entry.contains(field) && entry[field].is_string() ? entry[field].get<std::string>() : "";
    };
    AuthConfig auth;
    auth.username = str("username");
    auth.password = str("password");
    auth.auth = str("auth");
    auth.identity_token = str("identitytoken");
    auth.registry_token = str("registrytoken");
    if (auth.username.empty() && !auth.auth.empty()) {
      // Fail at load time, not at the first pull, when the secret is garbled.
      if (absl::Status s = auth.BasicHeader().status(); !s.ok()) return Annotate(s, where);
    }
    if (auth.Empty()) continue;
    out.by_host_[NormalizeRegistryHost(key)] = std::move(auth);
  }
  return out;
}

absl::StatusOr<CredentialsFile> CredentialsFile::Load(const std::string& path) {
  SILO_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return Parse(path, text);
}

std::optional<AuthConfig> CredentialsFile::Lookup(const std::string& host) const {
  auto it = by_host_.find(NormalizeRegistryHost(host));
  if (it == by_host_.end()) return std::nullopt;
  return it->second;
}

}  // namespace silo::image::registry
