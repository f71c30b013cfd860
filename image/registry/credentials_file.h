#pragma once
// Registry credentials from a file, in the format operators already keep for
// Docker and containerd (~/.docker/config.json, kubelet's config.json):
//
//   {"auths": {"registry.example:5000": {"auth": "base64(user:pass)"},
//              "https://index.docker.io/v1/": {"username": "u", "password": "p"},
//              "other.example": {"identitytoken": "..."}}}
//
// Keys may be bare hosts or URLs; they are matched by host[:port], and the
// Docker Hub aliases (index.docker.io, registry-1.docker.io, the v1 URL) all
// mean docker.io. Immutable after loading; thread-safe.

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "image/registry/auth.h"

namespace silo::image::registry {

class CredentialsFile {
 public:
  // InvalidArgument naming the file and the entry when the JSON is malformed
  // or an `auth` value is not base64 "user:pass".
  static absl::StatusOr<CredentialsFile> Parse(const std::string& path, const std::string& text);
  static absl::StatusOr<CredentialsFile> Load(const std::string& path);

  // Credentials for a registry host ("docker.io", "127.0.0.1:5000"), if any.
  std::optional<AuthConfig> Lookup(const std::string& host) const;

  size_t size() const { return by_host_.size(); }

 private:
  std::map<std::string, AuthConfig> by_host_;
};

// "https://Registry.Example:5000/v2/" -> "registry.example:5000"; Docker Hub
// aliases -> "docker.io".
std::string NormalizeRegistryHost(const std::string& key);

}  // namespace silo::image::registry
