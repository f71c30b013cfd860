#pragma once
// Image references, parsed and normalised the way Docker, containerd and
// kubelet do it (distribution/reference ParseNormalizedNamed plus the default
// ":latest" tag), so an image named in a pod spec resolves to the same
// repository here as on any other runtime:
//
//   busybox                    -> docker.io/library/busybox:latest
//   user/app                   -> docker.io/user/app:latest
//   index.docker.io/x          -> docker.io/library/x:latest
//   localhost:5000/a/b:v1      -> localhost:5000/a/b:v1
//   repo@sha256:<64 hex>       -> docker.io/library/repo@sha256:<64 hex>  (no tag added)
//   repo:tag@sha256:<64 hex>   -> both kept; the digest is what gets pulled
//
// Grammar (distribution/reference):
//   reference  := name [ ":" tag ] [ "@" digest ]
//   name       := [ domain "/" ] path-component { "/" path-component }
//   domain     := host [ ":" port ]; host is DNS-like labels ([A-Za-z0-9-], no
//                 leading/trailing '-') joined by '.', or "[" IPv6 hex/colons "]"
//   path-comp  := [a-z0-9]+ { separator [a-z0-9]+ }, separator := "." | "_" | "__" | "-"+
//   tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
// The first component is a domain only if it contains '.' or ':', is
// "localhost", or has an uppercase letter; otherwise the name is on Docker Hub.
// The full name (domain "/" path) is at most 255 characters. A bare 64-hex
// string is rejected: it is ambiguous with an image id.
//
// Pure functions on values; thread-safe.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "image/digest.h"

namespace silo::image {

inline constexpr absl::string_view kDockerHubDomain = "docker.io";
inline constexpr absl::string_view kDockerHubLegacyDomain = "index.docker.io";
inline constexpr absl::string_view kDockerHubRegistryHost = "registry-1.docker.io";
inline constexpr absl::string_view kDefaultTag = "latest";
inline constexpr size_t kMaxNameLength = 255;
inline constexpr size_t kMaxTagLength = 128;

struct Reference {
  std::string domain;            // "docker.io", "localhost:5000", "[::1]:5000"
  std::string path;              // "library/busybox"
  std::string tag;               // empty only when a digest is given
  std::optional<Digest> digest;  // set for "name@sha256:..."

  // domain "/" path, e.g. "docker.io/library/busybox".
  std::string Repository() const;
  // Canonical form: "docker.io/library/busybox:latest", with "@digest" if set.
  std::string String() const;
  // Docker's short form: "busybox:latest", "user/app:v1", "quay.io/x/y@sha256:..".
  std::string Familiar() const;
  // Short form of the repository alone: "busybox", "user/app".
  std::string FamiliarName() const;
  // Host (and port) to contact for the registry API: "registry-1.docker.io"
  // for Docker Hub, otherwise the domain itself.
  std::string RegistryHost() const;

  friend bool operator==(const Reference&, const Reference&) = default;
};

// Parses and normalises `text`. InvalidArgument names the problem: empty
// reference, uppercase repository, bad path component, bad domain, empty or
// invalid tag, invalid digest, name too long.
absl::StatusOr<Reference> ParseReference(absl::string_view text);

// True for a valid tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}).
bool IsValidTag(absl::string_view tag);

}  // namespace silo::image
