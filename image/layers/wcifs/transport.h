#pragma once
// Staging plan for a diff layer in the vmcompute "transport" format, the
// folder ImportLayer / HcsImportLayer consume (hcsshim legacyLayerWriter):
//   - "Files/<p>" file:      a plain file "Files/<p>" holding a u32 (LE)
//                            FILE_ATTRIBUTE_* word, then the entry's backup
//                            stream (security, EA, reparse, data, ADS).
//   - "Files/<p>" directory: a folder "Files/<p>" plus a file
//                            "Files/<p>.$wcidirs$" with the same content rule.
//   - "Hives/<p>":           written through BackupWrite without security,
//                            so the staged file holds just the hive bytes.
//   - every staged file gets the entry's times with attributes 0 (the real
//     attributes travel in the u32 word).
// What the import cannot express is applied to the layer afterwards, in this
// order: tombstones (whiteouts: delete "Files/<p>" in the new layer, missing
// is fine), hard links (replace "<path>" with a link to "<target>", found in
// this layer or a parent), then directory times (both of the former touch
// directory timestamps).
//
// Not supported (explicit errors, never silent): UtilityVM content in a diff
// layer (hcsshim clones the parent's UtilityVM first), opaque-directory
// whiteouts, whiteouts outside Files/.
//
// Pure functions; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "image/layers/wcifs/backup_stream.h"
#include "image/layers/windows_layer.h"

namespace silo::image::layers::wcifs {

inline constexpr std::string_view kWciDirsSuffix = ".$wcidirs$";

enum class StageMethod {
  kTransportFile,  // u32 attributes + backup stream, written as plain bytes
  kBackupWrite,    // BackupWrite of the stream without security (hives)
};

struct StagedItem {
  size_t entry_index = 0;      // into ImportPlan::entries
  std::string file;            // relative to the staging folder, '/'-separated
  std::string make_directory;  // directories: this folder is created as well
  StageMethod method = StageMethod::kTransportFile;
};

struct HardLink {
  std::string path;    // layer-relative, e.g. "Files/b.dll"
  std::string target;  // layer-relative, in this layer or a parent
};

struct StagingPlan {
  std::vector<StagedItem> items;           // archive order
  std::vector<std::string> tombstones;     // layer-relative paths to delete after import
  std::vector<HardLink> hard_links;        // created after the tombstones
  std::vector<size_t> directory_times;     // entry indices of directories, re-timed last
};

// Builds the staging plan for a diff layer (one with parents).
absl::StatusOr<StagingPlan> PlanDiffStaging(const ImportPlan& plan);

// Content of a kTransportFile: u32 LE attributes, then the backup stream
// with security.
absl::StatusOr<std::string> EncodeTransportFile(const WindowsEntry& entry, std::string_view data,
                                                const std::vector<AlternateStream>& streams = {});

// Win32 FILETIME (100 ns ticks since 1601-01-01) for a Unix time.
int64_t UnixToFileTime(int64_t seconds, int32_t nanoseconds = 0);

}  // namespace silo::image::layers::wcifs
