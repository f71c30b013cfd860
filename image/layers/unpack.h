#pragma once
// Applies one OCI image layer (a possibly compressed tar) to a snapshot
// directory in the form overlayfs expects for an upper/lower dir:
//   - regular files, directories, symlinks, hard links, fifos (and device
//     nodes only with allow_devices) with mode, owner, mtime and xattrs;
//   - "<dir>/.wh.<name>" becomes a 0/0 character device "<dir>/<name>";
//   - "<dir>/.wh..wh..opq" sets trusted.overlay.opaque=y on <dir>.
//
// Hostile archives are expected. Nothing is ever created, modified or
// followed outside the target: member names with ".." are rejected, leading
// "/" is stripped (tar's rule), every parent directory is opened component by
// component with O_NOFOLLOW beneath the target, so an entry that would be
// written through a symlink (planted earlier in the same layer) is rejected,
// and hard links must name an existing non-directory already unpacked inside
// the target. Overlay control xattrs (trusted.overlay.*, user.overlay.*) in
// the archive are dropped, since only whiteouts may produce them. Every error
// names the offending entry; on error the partially written target is removed.
//
// Thread-compatible: concurrent calls on different targets are fine.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "image/layers/decompress.h"

namespace silo::image::layers {

struct UnpackOptions {
  // Layer media type from the manifest; empty means detect from bytes only.
  std::string media_type;
  // "sha256:<hex>" from the image config's rootfs.diff_ids; when set, a
  // mismatch fails the unpack (DataLoss) and removes the target.
  std::string expected_diff_id;
  // Character and block devices are refused unless set (fifos are allowed).
  bool allow_devices = false;
  // chown entries to the archive's uid/gid. Without root, EPERM is ignored.
  bool preserve_ownership = true;
  // Declared size limit per regular file (sparse files count logically).
  uint64_t max_entry_bytes = uint64_t{64} << 30;
  // Limit on the sum of regular-file sizes, and (plus 64 MiB for headers and
  // padding) on the uncompressed tar stream itself.
  uint64_t max_total_bytes = uint64_t{256} << 30;
  // Limit on archive members, including directories and whiteouts.
  uint64_t max_entries = uint64_t{1} << 21;
};

struct UnpackStats {
  uint64_t files = 0;    // archive members applied (all kinds)
  uint64_t bytes = 0;    // regular-file bytes (logical sizes)
  std::string diff_id;   // "sha256:<hex>" of the uncompressed tar stream
  bool reused = false;   // UnpackToSnapshot found the snapshot already there
};

// Creates `target_dir` (its parent must exist; AlreadyExists if it does) and
// unpacks the layer into it. Reads `blob` to its end so diff_id covers the
// whole stream. On any error `target_dir` is removed.
absl::StatusOr<UnpackStats> Unpack(ByteSource& blob, const std::string& target_dir,
                                   const UnpackOptions& options = {});
// Same, reading from `fd` (not closed, read from its current offset).
absl::StatusOr<UnpackStats> Unpack(int fd, const std::string& target_dir, const UnpackOptions& options = {});

// Crash-safe, idempotent snapshot creation: if `final_dir` already exists it
// returns {reused = true, diff_id = options.expected_diff_id} without reading
// `blob`. Otherwise it unpacks into "<final_dir>.tmp-<random>", syncs the
// filesystem (syncfs: one call instead of an fsync per file), renames into
// place with RENAME_NOREPLACE and fsyncs the parent. Losing a race to a
// concurrent caller counts as success (reused = true). After a crash, stale
// "<final_dir>.tmp-*" siblings are garbage for the layer store to delete.
absl::StatusOr<UnpackStats> UnpackToSnapshot(ByteSource& blob, const std::string& final_dir,
                                             const UnpackOptions& options = {});

}  // namespace silo::image::layers
