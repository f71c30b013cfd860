#pragma once
// Reads a Windows container layer tar into a portable import plan, without
// touching Win32, so the WCIFS importer (a later issue) only has to replay
// the plan and everything up to it is tested on Linux.
//
// A Windows layer has top-level "Files/" (the container's C:\), "Hives/"
// (registry hives, base layers only) and "UtilityVM/" (the utility VM image,
// base layers only). Windows metadata travels in PAX records:
//   MSWINDOWS.fileattr     decimal FILE_ATTRIBUTE_* bits
//   MSWINDOWS.rawsd        base64 self-relative security descriptor
//   MSWINDOWS.sd           SDDL string (older writers)
//   MSWINDOWS.mountpoint   present: the reparse point is a mount point
//   MSWINDOWS.xattr.<name> base64 extended attribute value
//   LIBARCHIVE.creationtime  "<seconds>[.<fraction>]"
// Whiteouts ("<dir>/.wh.<name>") become kWhiteout entries for "<dir>/<name>".
// Alternate data streams travel as regular members named "<file>:<stream>"
// right after their file (hcsshim's backuptar); each is attached to that
// file entry's `alternate_streams` (name and size; the bytes are read with
// the file's), so a stream never becomes a file of its own.
//
// Every member must lie under one of the three roots; "..", "." or
// dot-and-space-only components (which Win32 path normalisation turns into
// ".." or ""), backslashes, colons (drive letters, alternate data streams)
// and control characters are rejected, naming the member; a colon only
// separates a stream name in a stream member, whose file must come first.
// Absolute names ("/Files/x") are rejected, not made relative.
//
// Links: once a member is a symlink or junction, nothing may follow it
// beneath it (member, whiteout, stream or hard-link target), be written at
// its path again, hard-link to it, or give it a stream; a layer root
// (Files, Hives, UtilityVM) may not be a link. Windows would write through
// the link, anywhere on the host. Names compare case-insensitively (ASCII),
// as Windows resolves them; links from parent layers are unknown here and
// are caught by the importer's relative file calls (wcifs/api.h).
//
// Thread-compatible: plain function over a stream.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "image/layers/decompress.h"

namespace silo::image::layers {

// Win32 attribute bits used when a member carries no MSWINDOWS.fileattr.
inline constexpr uint32_t kFileAttributeDirectory = 0x10;

enum class WindowsEntryKind { kFile, kDirectory, kSymlink, kHardLink, kWhiteout, kOpaqueDirectory };

struct WindowsStreamInfo {
  std::string name;  // e.g. "Zone.Identifier", without colons
  uint64_t size = 0;
};

struct WindowsEntry {
  std::string path;  // relative to the layer, '/'-separated, e.g. "Files/Windows/a.dll"
  WindowsEntryKind kind = WindowsEntryKind::kFile;
  uint64_t size = 0;                 // data bytes (files only)
  uint32_t attributes = 0;           // FILE_ATTRIBUTE_* bits
  std::string security_descriptor;   // raw bytes decoded from MSWINDOWS.rawsd
  std::string sddl;                  // MSWINDOWS.sd, when the writer used SDDL
  std::string link_target;           // symlink text, or hard link layer path
  bool mount_point = false;          // symlink is a mount point (junction)
  int64_t mtime_sec = 0;
  bool has_creation_time = false;
  int64_t creation_time_sec = 0;
  int32_t creation_time_nsec = 0;
  std::map<std::string, std::string> extended_attributes;  // decoded values
  std::vector<WindowsStreamInfo> alternate_streams;         // files only, archive order
};

struct ImportPlan {
  std::vector<WindowsEntry> entries;  // archive order, which the importer must keep
  bool has_hives = false;             // a base layer
  bool has_utility_vm = false;
  uint64_t total_bytes = 0;
  std::string diff_id;  // "sha256:<hex>" of the uncompressed tar
};

struct WindowsPlanOptions {
  std::string media_type;  // optional, as for Unpack
  uint64_t max_entries = uint64_t{1} << 21;
  uint64_t max_total_bytes = uint64_t{256} << 30;
};

// Reads the whole (possibly compressed) layer from `blob`.
absl::StatusOr<ImportPlan> PlanWindowsLayer(ByteSource& blob, const WindowsPlanOptions& options = {});

}  // namespace silo::image::layers
