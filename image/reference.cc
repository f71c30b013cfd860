#include "image/reference.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace silo::image {
namespace {

constexpr absl::string_view kOfficialPrefix = "library/";

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsWordChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool HasUpper(absl::string_view s) {
  for (char c : s) {
    if (absl::ascii_isupper(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

bool IsHexId(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

absl::Status Invalid(absl::string_view text, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("invalid image reference \"", text, "\": ", problem));
}

// One path component: [a-z0-9]+ (separator [a-z0-9]+)*, where a separator is
// ".", "_", "__" or one or more "-". Returns an empty string when valid,
// otherwise the problem.
std::string PathComponentProblem(absl::string_view comp) {
  if (comp.empty()) return "empty path component (doubled or trailing '/')";
  size_t i = 0;
  while (true) {
    size_t start = i;
    while (i < comp.size() && IsLowerAlnum(comp[i])) ++i;
    if (i == start) {
      return absl::StrCat("path component \"", comp, "\" must start and end with [a-z0-9] and ",
                          "separators may not repeat (offending position ", i + 1, ")");
    }
    if (i == comp.size()) return "";
    char c = comp[i];
    if (c == '.') {
      ++i;
    } else if (c == '_') {
      ++i;
      if (i < comp.size() && comp[i] == '_') ++i;
    } else if (c == '-') {
      while (i < comp.size() && comp[i] == '-') ++i;
    } else {
      return absl::StrCat("path component \"", comp, "\" contains '", absl::string_view(&c, 1),
                          "' (allowed: a-z 0-9 . _ __ -)");
    }
    if (i == comp.size()) {
      return absl::StrCat("path component \"", comp, "\" must not end with a separator");
    }
  }
}

std::string PathProblem(absl::string_view path) {
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    absl::string_view comp =
        path.substr(start, slash == absl::string_view::npos ? absl::string_view::npos : slash - start);
    std::string problem = PathComponentProblem(comp);
    if (!problem.empty()) return problem;
    if (slash == absl::string_view::npos) return "";
    start = slash + 1;
  }
}

// A DNS-like label: [A-Za-z0-9] or [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9].
bool IsDomainLabel(absl::string_view label) {
  if (label.empty() || label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

std::string DomainProblem(absl::string_view domain) {
  absl::string_view host = domain;
  absl::string_view port;
  bool has_port = false;
  if (!domain.empty() && domain.front() == '[') {
    size_t close = domain.find(']');
    if (close == absl::string_view::npos) return absl::StrCat("domain \"", domain, "\" has an unclosed '['");
    absl::string_view inner = domain.substr(1, close - 1);
    if (inner.empty()) return absl::StrCat("domain \"", domain, "\" has an empty IPv6 address");
    for (char c : inner) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) && c != ':') {
        return absl::StrCat("domain \"", domain,
                            "\": IPv6 address may hold only hex digits and ':' (no zones, no IPv4 forms)");
      }
    }
    absl::string_view after = domain.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return absl::StrCat("domain \"", domain, "\" has text after ']'");
      has_port = true;
      port = after.substr(1);
    }
  } else {
    size_t colon = domain.find(':');
    if (colon != absl::string_view::npos) {
      host = domain.substr(0, colon);
      port = domain.substr(colon + 1);
      has_port = true;
    }
    size_t start = 0;
    while (true) {
      size_t dot = host.find('.', start);
      absl::string_view label =
          host.substr(start, dot == absl::string_view::npos ? absl::string_view::npos : dot - start);
      if (!IsDomainLabel(label)) {
        return absl::StrCat("domain \"", domain, "\" has an invalid label \"", label, "\"");
      }
      if (dot == absl::string_view::npos) break;
      start = dot + 1;
    }
  }
  if (has_port) {
    if (port.empty()) return absl::StrCat("domain \"", domain, "\" has an empty port");
    for (char c : port) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
        return absl::StrCat("domain \"", domain, "\" has a non-numeric port \"", port, "\"");
      }
    }
  }
  return "";
}

}  // namespace

bool IsValidTag(absl::string_view tag) {
  if (tag.empty() || tag.size() > kMaxTagLength || !IsWordChar(tag.front())) return false;
  for (char c : tag) {
    if (!IsWordChar(c) && c != '.' && c != '-') return false;
  }
  return true;
}

std::string Reference::Repository() const { return absl::StrCat(domain, "/", path); }

std::string Reference::String() const {
  std::string out = Repository();
  if (!tag.empty()) absl::StrAppend(&out, ":", tag);
  if (digest.has_value()) absl::StrAppend(&out, "@", digest->String());
  return out;
}

std::string Reference::FamiliarName() const {
  if (domain != kDockerHubDomain) return Repository();
  if (absl::StartsWith(path, kOfficialPrefix)) {
    absl::string_view rest = absl::string_view(path).substr(kOfficialPrefix.size());
    // Only single-level official names are shortened: "library/a/b" stays.
    if (!absl::StrContains(rest, '/')) return std::string(rest);
  }
  return path;
}

std::string Reference::Familiar() const {
  std::string out = FamiliarName();
  if (!tag.empty()) absl::StrAppend(&out, ":", tag);
  if (digest.has_value()) absl::StrAppend(&out, "@", digest->String());
  return out;
}

std::string Reference::RegistryHost() const {
  if (domain == kDockerHubDomain) return std::string(kDockerHubRegistryHost);
  return domain;
}

absl::StatusOr<Reference> ParseReference(absl::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("invalid image reference: empty");
  if (IsHexId(text)) {
    return Invalid(text, "a 64-character hex string is an image id, not a repository name");
  }
  Reference ref;
  absl::string_view rest = text;

  size_t at = rest.find('@');
  if (at != absl::string_view::npos) {
    absl::string_view digest_text = rest.substr(at + 1);
    if (digest_text.empty()) return Invalid(text, "empty digest after '@'");
    absl::StatusOr<Digest> digest = ParseDigest(digest_text);
    if (!digest.ok()) return Invalid(text, digest.status().message());
    ref.digest = *std::move(digest);
    rest = rest.substr(0, at);
  }

  // A ':' after the last '/' starts the tag; earlier ones belong to a port.
  size_t colon = rest.rfind(':');
  size_t slash = rest.rfind('/');
  if (colon != absl::string_view::npos && (slash == absl::string_view::npos || colon > slash)) {
    absl::string_view tag = rest.substr(colon + 1);
    if (tag.empty()) return Invalid(text, "empty tag after ':'");
    if (!IsValidTag(tag)) {
      return Invalid(text, absl::StrCat("invalid tag \"", tag,
                                        "\" (want [A-Za-z0-9_][A-Za-z0-9_.-]*, at most 128 characters)"));
    }
    ref.tag = std::string(tag);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return Invalid(text, "missing repository name");

  absl::string_view remote;
  size_t first_slash = rest.find('/');
  if (first_slash == absl::string_view::npos) {
    ref.domain = std::string(kDockerHubDomain);
    remote = rest;
  } else {
    absl::string_view first = rest.substr(0, first_slash);
    if (first == "localhost" || first.find_first_of(".:") != absl::string_view::npos || HasUpper(first)) {
      ref.domain = first == kDockerHubLegacyDomain ? std::string(kDockerHubDomain) : std::string(first);
      remote = rest.substr(first_slash + 1);
    } else {
      ref.domain = std::string(kDockerHubDomain);
      remote = rest;
    }
  }
  std::string problem = DomainProblem(ref.domain);
  if (!problem.empty()) return Invalid(text, problem);
  if (HasUpper(remote)) {
    return Invalid(text, absl::StrCat("repository name \"", remote, "\" must be lowercase"));
  }
  problem = PathProblem(remote);
  if (!problem.empty()) return Invalid(text, problem);

  if (ref.domain == kDockerHubDomain && !absl::StrContains(remote, '/')) {
    ref.path = absl::StrCat(kOfficialPrefix, remote);
  } else {
    ref.path = std::string(remote);
  }
  if (ref.domain.size() + 1 + ref.path.size() > kMaxNameLength) {
    return Invalid(text, absl::StrCat("repository name \"", ref.Repository(), "\" is longer than ",
                                      kMaxNameLength, " characters"));
  }
  if (ref.tag.empty() && !ref.digest.has_value()) ref.tag = std::string(kDefaultTag);
  return ref;
}

}  // namespace silo::image
