#pragma once
// ReaderAt: a read-only handle on one committed blob. Owns its file
// descriptor (closed on destruction). Blobs are immutable once committed and
// Delete() only unlinks the name, so an open ReaderAt keeps reading the full
// content even if the blob is deleted meanwhile.
//
// ReadAt uses pread and keeps no position, so one ReaderAt may be shared by
// several threads.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "image/digest.h"

namespace silo::image::content {

class ReaderAt {
 public:
  // Takes ownership of `fd`, an open descriptor on a blob of `size` bytes.
  ReaderAt(int fd, int64_t size, Digest digest);
  ReaderAt(ReaderAt&& other) noexcept;
  ReaderAt& operator=(ReaderAt&& other) noexcept;
  ReaderAt(const ReaderAt&) = delete;
  ReaderAt& operator=(const ReaderAt&) = delete;
  ~ReaderAt();

  int64_t size() const { return size_; }
  const Digest& digest() const { return digest_; }
  // The descriptor stays owned by this object (e.g. for archive_read_open_fd).
  int fd() const { return fd_; }

  // Reads up to `n` bytes at `offset`; returns fewer only at end of blob.
  absl::StatusOr<size_t> ReadAt(int64_t offset, char* buf, size_t n) const;

  // The whole blob; ResourceExhausted if it is larger than `max_size`
  // (manifests and configs are small; layers should be streamed).
  absl::StatusOr<std::string> ReadAll(int64_t max_size) const;

 private:
  int fd_ = -1;
  int64_t size_ = 0;
  Digest digest_;
};

}  // namespace silo::image::content
