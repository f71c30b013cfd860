#pragma once
// DirUsage: bytes and inodes below a directory, walked with std::filesystem
// so the same code measures overlay snapshots on Linux and WCIFS layer and
// scratch folders on Windows. Bytes are regular files' sizes (a scratch's
// sandbox.vhdx counts as its current, dynamically grown size); every entry,
// the directory itself included, is an inode. Links are counted, never
// followed. containerd's Windows snapshotter reports usage the same way (a
// walk of the snapshot folder).
//
// Thread-compatible: a plain function.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace silo::image::layers {

struct DirUsage {
  int64_t bytes = 0;
  int64_t inodes = 0;
};

// NotFound when `dir` does not exist. Entries that vanish or cannot be read
// during the walk are skipped (a running container writes meanwhile).
absl::StatusOr<DirUsage> MeasureDir(const std::string& dir);

}  // namespace silo::image::layers
