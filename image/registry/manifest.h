#pragma once
// OCI / Docker schema 2 manifests and indexes as plain data, and their
// parsers. Parsing validates what the puller relies on: media types we can
// unpack, canonical digests, non-negative sizes. Schema 1 manifests are
// rejected (Unimplemented): they are deprecated, unverifiable without their
// JWS signature and registries no longer serve them.
//
// Pure functions; thread-safe.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "image/digest.h"
#include "image/registry/platform.h"

namespace silo::image::registry {

inline constexpr absl::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr absl::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr absl::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr absl::string_view kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr absl::string_view kDockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr absl::string_view kDockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";
inline constexpr absl::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr absl::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";

// Accept header value for manifest requests.
std::string ManifestAcceptHeader();

struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::vector<std::string> urls;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;  // index entries only
};

struct Manifest {
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;
};

struct Index {
  std::string media_type;
  std::vector<Descriptor> manifests;
};

bool IsIndexMediaType(absl::string_view media_type);
bool IsManifestMediaType(absl::string_view media_type);
// True for layer media types the unpacker handles (tar, gzip, zstd; OCI and
// Docker, distributable or not).
bool IsKnownLayerMediaType(absl::string_view media_type);

// The media type of a manifest document: the Content-Type the registry sent
// when it is specific, else the document's own "mediaType", else inferred
// from its shape ("manifests" -> OCI index, "layers" -> OCI manifest).
// Unimplemented for schema 1, InvalidArgument for something unrecognised.
absl::StatusOr<std::string> DetectMediaType(absl::string_view content_type, absl::string_view body);

absl::StatusOr<Manifest> ParseManifest(absl::string_view media_type, absl::string_view body);
absl::StatusOr<Index> ParseIndex(absl::string_view media_type, absl::string_view body);

}  // namespace silo::image::registry
