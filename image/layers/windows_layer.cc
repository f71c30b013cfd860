#include "image/layers/windows_layer.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "image/layers/pax_tar_reader.h"
#include "runtime/base/status_macros.h"

namespace silo::image::layers {
namespace {

constexpr absl::string_view kRoots[] = {"Files", "Hives", "UtilityVM"};
constexpr absl::string_view kMsWindowsXattrPrefix = "MSWINDOWS.xattr.";

// Splits a member name into components that mean the same to POSIX and to
// Win32 path normalisation, or rejects it.
absl::StatusOr<std::vector<std::string>> SplitWindowsPath(absl::string_view name) {
  if (absl::StartsWith(name, "/")) {
    return absl::InvalidArgumentError(absl::StrCat("path \"", name, "\" is absolute"));
  }
  std::vector<std::string> parts;
  for (absl::string_view part : absl::StrSplit(name, '/', absl::SkipEmpty())) {
    if (part.find_first_not_of(". ") == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("path \"", name, "\" has a \"", part, "\" component"));
    }
    for (char c : part) {
      if (c == '\\' || c == ':' || static_cast<unsigned char>(c) < 0x20) {
        return absl::InvalidArgumentError(
            absl::StrCat("path \"", name, "\" contains a character Win32 would reinterpret"));
      }
    }
    parts.emplace_back(part);
  }
  if (parts.empty() || std::find(std::begin(kRoots), std::end(kRoots), parts[0]) == std::end(kRoots)) {
    return absl::InvalidArgumentError(
        absl::StrCat("path \"", name, "\" is outside Files/, Hives/ and UtilityVM/"));
  }
  return parts;
}

// The links (symlinks, junctions) this layer has created so far, by
// lower-cased path: Windows resolves names case-insensitively, so "Files/J"
// is the link "Files/j". ASCII folding only; the importer's relative calls
// refuse any remaining case (non-ASCII folding) on the real file system.
class LinkSet {
 public:
  void Add(const std::string& path) { links_.emplace(Fold(path), path); }
  bool Is(const std::string& path) const { return links_.contains(Fold(path)); }
  // The link `path` lies beneath (as its member named it), or "".
  std::string Above(const std::string& path) const {
    for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
      if (auto it = links_.find(Fold(path.substr(0, slash))); it != links_.end()) return it->second;
    }
    return "";
  }

 private:
  static std::string Fold(const std::string& path) { return absl::AsciiStrToLower(path); }
  std::map<std::string, std::string> links_;  // folded -> as named
};

// Refuses a path beneath a link of this layer: on Windows the write would go
// wherever the link points (a junction to C:\ reaches the whole host).
absl::Status CheckNotBeneathLink(const LinkSet& links, const std::string& path, absl::string_view what) {
  if (const std::string link = links.Above(path); !link.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " \"", path, "\" lies beneath \"", link, "\", a link in this layer"));
  }
  return absl::OkStatus();
}

absl::Status ParseCreationTime(absl::string_view text, WindowsEntry* e) {
  std::pair<absl::string_view, absl::string_view> sf = absl::StrSplit(text, absl::MaxSplits('.', 1));
  if (!absl::SimpleAtoi(sf.first, &e->creation_time_sec)) {
    return absl::InvalidArgumentError(absl::StrCat("malformed LIBARCHIVE.creationtime \"", text, "\""));
  }
  std::string frac(sf.second.substr(0, 9));
  if (frac.find_first_not_of("0123456789") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("malformed LIBARCHIVE.creationtime \"", text, "\""));
  }
  frac.resize(9, '0');
  e->creation_time_nsec = std::stoi(frac);
  e->has_creation_time = true;
  return absl::OkStatus();
}

absl::Status ApplyPax(const TarHeader& h, WindowsEntry* e) {
  const auto& pax = h.pax;
  if (auto it = pax.find("MSWINDOWS.fileattr"); it != pax.end()) {
    if (!absl::SimpleAtoi(it->second, &e->attributes)) {
      return absl::InvalidArgumentError(absl::StrCat("malformed MSWINDOWS.fileattr \"", it->second, "\""));
    }
  } else if (e->kind == WindowsEntryKind::kDirectory) {
    e->attributes = kFileAttributeDirectory;
  }
  if (auto it = pax.find("MSWINDOWS.rawsd"); it != pax.end()) {
    if (!absl::Base64Unescape(it->second, &e->security_descriptor)) {
      return absl::InvalidArgumentError("MSWINDOWS.rawsd is not valid base64");
    }
  }
  if (auto it = pax.find("MSWINDOWS.sd"); it != pax.end()) e->sddl = it->second;
  e->mount_point = pax.contains("MSWINDOWS.mountpoint");
  if (auto it = pax.find("LIBARCHIVE.creationtime"); it != pax.end()) {
    SILO_RETURN_IF_ERROR(ParseCreationTime(it->second, e));
  }
  for (auto it = pax.lower_bound(std::string(kMsWindowsXattrPrefix));
       it != pax.end() && absl::StartsWith(it->first, kMsWindowsXattrPrefix); ++it) {
    std::string value;
    if (!absl::Base64Unescape(it->second, &value)) {
      return absl::InvalidArgumentError(absl::StrCat(it->first, " is not valid base64"));
    }
    e->extended_attributes[it->first.substr(kMsWindowsXattrPrefix.size())] = std::move(value);
  }
  return absl::OkStatus();
}

absl::Status AddToTotal(uint64_t size, const WindowsPlanOptions& options, ImportPlan* plan) {
  if (size > options.max_total_bytes - std::min(plan->total_bytes, options.max_total_bytes)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("layer content exceeds the total limit of ", options.max_total_bytes, " bytes"));
  }
  plan->total_bytes += size;
  return absl::OkStatus();
}

// "<file>:<stream>": attaches the stream to the file entry just before it.
absl::Status PlanStream(const TarHeader& h, size_t colon, const WindowsPlanOptions& options, const LinkSet& links,
                        ImportPlan* plan) {
  const std::string file(h.name.substr(0, colon));
  const std::string stream(h.name.substr(colon + 1));
  if (h.typeflag != '0') {
    return absl::InvalidArgumentError(absl::StrCat("alternate data stream \"", h.name, "\" is not a regular member"));
  }
  if (stream.empty() || stream.find_first_of(":/\\") != std::string::npos ||
      std::any_of(stream.begin(), stream.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
    return absl::InvalidArgumentError(absl::StrCat("alternate data stream \"", h.name, "\" has a bad stream name"));
  }
  SILO_ASSIGN_OR_RETURN(std::vector<std::string> parts, SplitWindowsPath(file));
  const std::string path = absl::StrJoin(parts, "/");
  SILO_RETURN_IF_ERROR(CheckNotBeneathLink(links, path, "alternate data stream of"));
  if (links.Is(path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("alternate data stream \"", h.name, "\" is on \"", path, "\", a link in this layer"));
  }
  if (plan->entries.empty() || plan->entries.back().path != path ||
      plan->entries.back().kind != WindowsEntryKind::kFile) {
    return absl::InvalidArgumentError(absl::StrCat("alternate data stream \"", h.name,
                                                   "\" does not follow its file \"", path, "\""));
  }
  SILO_RETURN_IF_ERROR(AddToTotal(h.size, options, plan));
  plan->entries.back().alternate_streams.push_back({stream, h.size});
  return absl::OkStatus();
}

absl::Status PlanEntry(const TarHeader& h, const WindowsPlanOptions& options, LinkSet& links, ImportPlan* plan) {
  // A colon in the last component names an alternate data stream.
  const size_t slash = h.name.rfind('/');
  const size_t colon = h.name.find(':', slash == std::string::npos ? 0 : slash + 1);
  if (colon != std::string::npos && h.name.find('\\') == std::string::npos) {
    return PlanStream(h, colon, options, links, plan);
  }
  SILO_ASSIGN_OR_RETURN(std::vector<std::string> parts, SplitWindowsPath(h.name));
  if (parts[0] == "Hives") plan->has_hives = true;
  if (parts[0] == "UtilityVM") plan->has_utility_vm = true;

  WindowsEntry e;
  e.mtime_sec = h.mtime_sec;
  const std::string& base = parts.back();
  if (parts.size() > 1 && absl::StartsWith(base, ".wh.")) {
    if (base == ".wh..wh..opq") {
      e.kind = WindowsEntryKind::kOpaqueDirectory;
      parts.pop_back();
    } else if (absl::StartsWith(base, ".wh..wh.")) {
      return absl::OkStatus();  // AUFS bookkeeping, meaningless here
    } else {
      e.kind = WindowsEntryKind::kWhiteout;
      parts.back() = base.substr(4);
      SILO_RETURN_IF_ERROR(SplitWindowsPath(absl::StrJoin(parts, "/")).status());
    }
    e.path = absl::StrJoin(parts, "/");
    SILO_RETURN_IF_ERROR(CheckNotBeneathLink(links, e.path, "whiteout of"));
    plan->entries.push_back(std::move(e));
    return absl::OkStatus();
  }

  e.path = absl::StrJoin(parts, "/");
  SILO_RETURN_IF_ERROR(CheckNotBeneathLink(links, e.path, "member"));
  if (links.Is(e.path)) {
    // Rewriting it (say as a folder) would keep the link and hide it.
    return absl::InvalidArgumentError(absl::StrCat("\"", e.path, "\" is already a link in this layer"));
  }
  switch (h.typeflag) {
    case '0':
      e.kind = WindowsEntryKind::kFile;
      e.size = h.size;
      SILO_RETURN_IF_ERROR(AddToTotal(h.size, options, plan));
      break;
    case '5':
      e.kind = WindowsEntryKind::kDirectory;
      break;
    case '2':
      if (parts.size() == 1) {
        return absl::InvalidArgumentError(absl::StrCat("layer root \"", e.path, "\" cannot be a link"));
      }
      e.kind = WindowsEntryKind::kSymlink;
      e.link_target = h.linkname;
      links.Add(e.path);
      break;
    case '1': {
      e.kind = WindowsEntryKind::kHardLink;
      auto target = SplitWindowsPath(h.linkname);
      if (!target.ok()) return Annotate(target.status(), "hard link target");
      e.link_target = absl::StrJoin(*target, "/");
      SILO_RETURN_IF_ERROR(CheckNotBeneathLink(links, e.link_target, "hard link target"));
      if (links.Is(e.link_target)) {
        return absl::InvalidArgumentError(
            absl::StrCat("hard link target \"", e.link_target, "\" is a link in this layer, not a file"));
      }
      break;
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("member type '", std::string(1, h.typeflag), "' has no Windows equivalent"));
  }
  SILO_RETURN_IF_ERROR(ApplyPax(h, &e));
  plan->entries.push_back(std::move(e));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ImportPlan> PlanWindowsLayer(ByteSource& blob, const WindowsPlanOptions& options) {
  SILO_ASSIGN_OR_RETURN(std::unique_ptr<DecompressedStream> stream,
                        DecompressedStream::Open(blob, options.media_type));
  PaxTarReader reader(*stream);
  ImportPlan plan;
  LinkSet links;
  uint64_t members = 0;
  std::string last = "(start of archive)";
  while (true) {
    TarHeader h;
    auto more = reader.Next(&h);
    if (!more.ok()) return Annotate(more.status(), absl::StrCat("windows layer: after member \"", last, "\""));
    if (!*more) break;
    last = h.name;
    if (++members > options.max_entries) {
      return absl::ResourceExhaustedError(
          absl::StrCat("windows layer member \"", h.name, "\": more than ", options.max_entries, " members"));
    }
    SILO_RETURN_IF_ERROR(
        Annotate(PlanEntry(h, options, links, &plan), absl::StrCat("windows layer member \"", h.name, "\"")));
  }
  constexpr uint64_t kSlack = uint64_t{64} << 20;  // headers and padding
  const uint64_t limit = options.max_total_bytes > UINT64_MAX - kSlack ? UINT64_MAX : options.max_total_bytes + kSlack;
  SILO_ASSIGN_OR_RETURN(plan.diff_id, stream->Finish(limit));
  return plan;
}

}  // namespace silo::image::layers
