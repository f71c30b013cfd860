#pragma once
// Win32 backup stream encoding: turns one entry of a Windows layer (its
// metadata from PlanWindowsLayer plus its bytes) into the exact byte
// sequence BackupWrite expects, so everything except the final BackupWrite
// call is portable and golden-tested on Linux.
//
// A backup stream is a sequence of parts, each a WIN32_STREAM_ID header
//   u32 stream id | u32 attributes | u64 size | u32 name bytes   (20 bytes, little-endian)
// followed by the UTF-16LE name (alternate data streams only) and `size`
// bytes of payload. No padding between parts. Part order, as go-winio's
// backuptar writes it: security descriptor (3), extended attributes (2),
// reparse data (8, symlinks and junctions), data (1, regular files, even when
// empty), then one alternate data stream part (4, named ":<name>:$DATA") per
// stream.
//
// Pure functions over their arguments; thread-safe.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "image/layers/windows_layer.h"

namespace silo::image::layers::wcifs {

// WIN32_STREAM_ID.dwStreamId values (winbase.h).
inline constexpr uint32_t kBackupData = 1;
inline constexpr uint32_t kBackupEaData = 2;
inline constexpr uint32_t kBackupSecurityData = 3;
inline constexpr uint32_t kBackupAlternateData = 4;
inline constexpr uint32_t kBackupLink = 5;
inline constexpr uint32_t kBackupReparseData = 8;
inline constexpr uint32_t kBackupSparseBlock = 9;

// Reparse tags (winnt.h).
inline constexpr uint32_t kReparseTagMountPoint = 0xA0000003;
inline constexpr uint32_t kReparseTagSymlink = 0xA000000C;
// SYMLINK_FLAG_RELATIVE in the symlink reparse buffer.
inline constexpr uint32_t kSymlinkFlagRelative = 1;

// An alternate data stream of a file: tar member "<file>:<name>".
struct AlternateStream {
  std::string name;  // without colons, e.g. "Zone.Identifier"
  std::string data;
};

// UTF-8 -> UTF-16LE bytes (no terminator). Invalid UTF-8 is rejected.
absl::StatusOr<std::string> Utf8ToUtf16Le(std::string_view utf8);

// One WIN32_STREAM_ID header; `name_utf16le` is the already encoded name.
std::string EncodeStreamHeader(uint32_t stream_id, uint32_t attributes, uint64_t size,
                               std::string_view name_utf16le = {});

// FILE_FULL_EA_INFORMATION list: per entry {u32 NextEntryOffset, u8 Flags=0,
// u8 EaNameLength, u16 EaValueLength, name, NUL, value}, each entry but the
// last padded to a multiple of 4 and linked by NextEntryOffset; the last has
// offset 0 and no padding. Entries in name order (std::map), so the output
// is deterministic. Names longer than 255 bytes or values over 65535 bytes
// are InvalidArgument.
absl::StatusOr<std::string> EncodeFullEaInformation(const std::map<std::string, std::string>& eas);

// REPARSE_DATA_BUFFER for a symlink (tag 0xA000000C, with a Flags word) or a
// mount point/junction (tag 0xA0000003, no Flags). `target` uses '/' or '\';
// '/' becomes '\'. The substitute name is the NT form ("C:\x" -> "\??\C:\x",
// "\\?\x" -> "\??\x", "\\srv\x" -> "\??\UNC\srv\x"); any other target is
// relative (symlink flag 1) and kept as is. Both names are stored
// NUL-terminated (substitute first, then print name); the lengths exclude
// the NUL. Junctions must be absolute (InvalidArgument otherwise).
absl::StatusOr<std::string> EncodeReparsePoint(std::string_view target, bool mount_point);

struct BackupStreamOptions {
  // Base layers and "Files/" in the transport format keep the security
  // descriptor; hives are written without one.
  bool include_security = true;
};

// The complete backup stream of `entry`. `data` must have entry.size bytes
// for a file (and be empty otherwise); `streams` only for files. Entries
// that only carry an SDDL string (MSWINDOWS.sd) need SDDL->binary
// conversion, which only Windows can do: Unimplemented, naming the path.
// Whiteouts and hard links have no backup stream: InvalidArgument.
absl::StatusOr<std::string> EncodeBackupStream(const WindowsEntry& entry, std::string_view data,
                                               const std::vector<AlternateStream>& streams = {},
                                               const BackupStreamOptions& options = {});

}  // namespace silo::image::layers::wcifs
