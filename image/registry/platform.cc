#include "image/registry/platform.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "image/registry/host_os_version.h"

namespace silo::image::registry {
namespace {

constexpr uint32_t kLtsc2022Build = 20348;

// Variants an arm host of `variant` can run, newest first.
int ArmLevel(const std::string& variant) {
  if (variant == "v5") return 5;
  if (variant == "v6") return 6;
  if (variant == "v7" || variant.empty()) return 7;
  if (variant == "v8") return 8;
  return -1;
}

bool WindowsCompatible(const WindowsVersion& host, const WindowsVersion& image) {
  if (host.major != image.major || host.minor != image.minor) return false;
  if (host.build < kLtsc2022Build) return host.build == image.build;
  return image.build >= kLtsc2022Build && image.build <= host.build;
}

}  // namespace

std::string Platform::ToString() const {
  std::string s = absl::StrCat(os, "/", architecture);
  if (!variant.empty()) absl::StrAppend(&s, "/", variant);
  if (!os_version.empty()) absl::StrAppend(&s, " (", os_version, ")");
  return s;
}

std::optional<WindowsVersion> ParseWindowsVersion(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '.');
  if (parts.size() < 3 || parts.size() > 4) return std::nullopt;
  uint32_t v[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty() || !absl::SimpleAtoi(parts[i], &v[i])) return std::nullopt;
  }
  return WindowsVersion{v[0], v[1], v[2], v[3]};
}

Platform Normalize(Platform p) {
  p.os = absl::AsciiStrToLower(p.os);
  if (p.os == "macos") p.os = "darwin";
  std::string& a = p.architecture;
  a = absl::AsciiStrToLower(a);
  if (a == "x86_64" || a == "x86-64") {
    a = "amd64";
    p.variant.clear();
  } else if (a == "i386") {
    a = "386";
  } else if (a == "aarch64" || a == "arm64") {
    a = "arm64";
    if (p.variant == "8" || p.variant == "v8") p.variant.clear();
  } else if (a == "armhf") {
    a = "arm";
    p.variant = "v7";
  } else if (a == "armel") {
    a = "arm";
    p.variant = "v6";
  } else if (a == "arm") {
    if (p.variant.empty() || p.variant == "7") p.variant = "v7";
    if (p.variant == "5" || p.variant == "6" || p.variant == "8") p.variant = "v" + p.variant;
  }
  return p;
}

Platform HostPlatform() {
  Platform p;
#if defined(_WIN32)
  p.os = "windows";
#elif defined(__linux__)
  p.os = "linux";
#else
  p.os = "unknown";
#endif
#if defined(__x86_64__) || defined(_M_X64)
  p.architecture = "amd64";
#elif defined(__aarch64__) || defined(_M_ARM64)
  p.architecture = "arm64";
#elif defined(__arm__)
  p.architecture = "arm";
  p.variant = "v7";
#else
  p.architecture = "unknown";
#endif
  p.os_version = HostOsVersion();
  return p;
}

bool Matches(const Platform& host_in, const Platform& image_in) {
  Platform host = Normalize(host_in);
  Platform image = Normalize(image_in);
  if (host.os != image.os || host.architecture != image.architecture) return false;
  if (host.architecture == "arm") {
    int h = ArmLevel(host.variant), i = ArmLevel(image.variant);
    if (h < 0 || i < 0 || i > h) return false;
  } else if (host.variant != image.variant && !image.variant.empty()) {
    return false;
  }
  if (host.os == "windows" && !host.os_version.empty() && !image.os_version.empty()) {
    auto hv = ParseWindowsVersion(host.os_version);
    auto iv = ParseWindowsVersion(image.os_version);
    if (!hv || !iv) return false;
    return WindowsCompatible(*hv, *iv);
  }
  return true;
}

absl::StatusOr<size_t> SelectPlatform(const Platform& host, const std::vector<Platform>& candidates) {
  std::optional<size_t> best;
  auto host_version = ParseWindowsVersion(host.os_version);
  // Ranking key: exact host build, then build, revision, then a more specific arm variant.
  auto key = [&](const Platform& p) {
    auto v = ParseWindowsVersion(p.os_version).value_or(WindowsVersion{});
    bool exact = host_version && v.build == host_version->build;
    return std::make_tuple(exact, v.build, v.revision, ArmLevel(Normalize(p).variant));
  };
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (!Matches(host, candidates[i])) continue;
    if (!best || key(candidates[i]) > key(candidates[*best])) best = i;
  }
  if (best) return *best;
  std::vector<std::string> names;
  for (const auto& c : candidates) names.push_back(c.ToString());
  return absl::NotFoundError(absl::StrCat("no image for platform ", host.ToString(), " (available: ",
                                          names.empty() ? "none" : absl::StrJoin(names, ", "), ")"));
}

}  // namespace silo::image::registry
