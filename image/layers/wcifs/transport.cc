#include "image/layers/wcifs/transport.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "runtime/base/status_macros.h"

namespace silo::image::layers::wcifs {
namespace {

bool Under(const std::string& path, absl::string_view root) {
  return path == root || absl::StartsWith(path, absl::StrCat(root, "/"));
}

}  // namespace

int64_t UnixToFileTime(int64_t seconds, int32_t nanoseconds) {
  constexpr int64_t kEpochDelta = 11644473600;  // seconds from 1601 to 1970
  return (seconds + kEpochDelta) * 10000000 + nanoseconds / 100;
}

absl::StatusOr<std::string> EncodeTransportFile(const WindowsEntry& entry, std::string_view data,
                                                const std::vector<AlternateStream>& streams) {
  SILO_ASSIGN_OR_RETURN(std::string stream, EncodeBackupStream(entry, data, streams));
  std::string out;
  for (int i = 0; i < 4; ++i) out += static_cast<char>((entry.attributes >> (8 * i)) & 0xFF);
  return out + stream;
}

absl::StatusOr<StagingPlan> PlanDiffStaging(const ImportPlan& plan) {
  StagingPlan out;
  for (size_t i = 0; i < plan.entries.size(); ++i) {
    const WindowsEntry& e = plan.entries[i];
    const auto fail = [&](absl::Status s) { return Annotate(s, absl::StrCat("staging \"", e.path, "\"")); };
    if (Under(e.path, "UtilityVM")) {
      return fail(absl::UnimplementedError("UtilityVM content in a diff layer is not supported"));
    }
    switch (e.kind) {
      case WindowsEntryKind::kWhiteout:
        if (!Under(e.path, "Files") || e.path == "Files") {
          return fail(absl::UnimplementedError("whiteouts are supported under Files/ only"));
        }
        out.tombstones.push_back(e.path);
        continue;
      case WindowsEntryKind::kOpaqueDirectory:
        return fail(absl::UnimplementedError("opaque-directory whiteouts have no WCIFS equivalent"));
      case WindowsEntryKind::kHardLink:
        if (!Under(e.path, "Files") || !Under(e.link_target, "Files")) {
          return fail(absl::InvalidArgumentError("hard links must stay under Files/"));
        }
        out.hard_links.push_back({e.path, e.link_target});
        continue;
      default:
        break;
    }
    StagedItem item;
    item.entry_index = i;
    item.file = e.path;
    item.method = Under(e.path, "Hives") ? StageMethod::kBackupWrite : StageMethod::kTransportFile;
    if (e.kind == WindowsEntryKind::kDirectory) {
      item.make_directory = e.path;
      item.file = absl::StrCat(e.path, std::string(kWciDirsSuffix));
      out.directory_times.push_back(i);
    }
    out.items.push_back(std::move(item));
  }
  return out;
}

}  // namespace silo::image::layers::wcifs
