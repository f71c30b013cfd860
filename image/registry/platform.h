#pragma once
// Choosing an image from a multi-platform index for this host, as containerd
// does (containerd/platforms), with the Windows os.version rules of hcsshim:
//  - os and architecture must be equal (after normalising aliases such as
//    x86_64 -> amd64, aarch64 -> arm64); arm variants: a v7 host runs v7, v6
//    and v5 images, an arm64 host treats "" and "v8" alike.
//  - Windows: major.minor must be equal. Hosts older than build 20348 (WS2022)
//    need the same build. Hosts at or after 20348 run any image whose build is
//    >= 20348 and <= the host's (the stable-ABI rule); a newer image fails on
//    an older host with HCS error 0xc0370106, so it never matches.
//  - Among matches: an image for the host's exact build first, then the
//    highest build, then the highest revision (compared as numbers; containerd
//    compares the strings, which puts revision 9 above 10).
//
// Pure and thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace silo::image::registry {

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
  std::string os_version;                 // Windows: "10.0.20348.2227"
  std::vector<std::string> os_features;

  std::string ToString() const;  // "windows/amd64 (10.0.20348.2227)", "linux/arm/v7"
};

struct WindowsVersion {
  uint32_t major = 0, minor = 0, build = 0, revision = 0;
};

// Parses "major.minor.build[.revision]"; nullopt when malformed.
std::optional<WindowsVersion> ParseWindowsVersion(const std::string& text);

// Normalises os/architecture/variant aliases in place.
Platform Normalize(Platform p);

// The platform this binary runs on (os.version is filled on Windows only).
Platform HostPlatform();

// True when an image built for `image` can run on `host`.
bool Matches(const Platform& host, const Platform& image);

// Index of the best candidate for `host`; NotFound listing every available
// platform when none fits (the error operators see in kubectl describe).
absl::StatusOr<size_t> SelectPlatform(const Platform& host, const std::vector<Platform>& candidates);

}  // namespace silo::image::registry
