#pragma once
// ReaderAt: a read-only handle on one committed blob. Owns its file
// (closed on destruction). Blobs are immutable once committed and
// Delete() only unlinks the name, so an open ReaderAt keeps reading the full
// content even if the blob is deleted meanwhile.
//
// ReadAt keeps no position, so one ReaderAt may be shared by
// several threads.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "image/digest.h"
#include "runtime/base/file.h"

namespace silo::image::content {

class ReaderAt {
 public:
  // Takes `file`, open on a blob of `size` bytes.
  ReaderAt(File file, int64_t size, Digest digest);

  int64_t size() const { return size_; }
  const Digest& digest() const { return digest_; }

  // Reads up to `n` bytes at `offset`; returns fewer only at end of blob.
  absl::StatusOr<size_t> ReadAt(int64_t offset, char* buf, size_t n) const;

  // The whole blob; ResourceExhausted if it is larger than `max_size`
  // (manifests and configs are small; layers should be streamed).
  absl::StatusOr<std::string> ReadAll(int64_t max_size) const;

 private:
  File file_;
  int64_t size_ = 0;
  Digest digest_;
};

}  // namespace silo::image::content
