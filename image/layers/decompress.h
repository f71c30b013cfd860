#pragma once
// Streaming decompression of OCI/Docker layer blobs with a running diff_id.
//
// A layer blob is a tar stream, optionally gzip- or zstd-compressed. The image
// config lists each layer's diff_id: the sha256 of the *uncompressed* tar. The
// DecompressedStream yields uncompressed bytes chunk by chunk (never the whole
// layer in memory) and hashes them as they pass, so the caller can verify the
// diff_id without a second read.
//
// Detection: the magic bytes decide (gzip 1f 8b, zstd 28 b5 2f fd, else plain
// tar), as containerd does, because registries and old Docker tooling do not
// always label blobs truthfully. A media type, when given, must be a known
// layer type; an unknown or non-layer type is rejected before any byte is read.
//
// Not thread-safe; one reader per stream.

#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace silo::image::layers {

// A pull-style byte source. Read returns the number of bytes placed in `buf`
// (at most `len`), 0 only at end of stream.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual absl::StatusOr<size_t> Read(char* buf, size_t len) = 0;
};

// Reads from a file descriptor it does not own; retries EINTR.
class FdSource : public ByteSource {
 public:
  explicit FdSource(int fd) : fd_(fd) {}
  absl::StatusOr<size_t> Read(char* buf, size_t len) override;

 private:
  int fd_;
};

// Reads from a std::istream it does not own.
class IstreamSource : public ByteSource {
 public:
  explicit IstreamSource(std::istream& in) : in_(in) {}
  absl::StatusOr<size_t> Read(char* buf, size_t len) override;

 private:
  std::istream& in_;
};

enum class Compression { kNone, kGzip, kZstd };

absl::string_view CompressionName(Compression c);

// Identifies the compression by the first bytes of a blob (needs up to 4).
// Returns kNone for anything that is not gzip or zstd; bzip2 and xz, which
// the OCI spec does not allow, are rejected as Unimplemented.
absl::StatusOr<Compression> DetectCompression(absl::string_view head);

// Maps a layer media type (OCI tar, +gzip, +zstd, their nondistributable
// variants, Docker rootfs.diff.tar.gzip and foreign.diff.tar.gzip) to the
// compression it announces. InvalidArgument for anything else.
absl::StatusOr<Compression> CompressionFromMediaType(absl::string_view media_type);

// Uncompressed view of a layer blob. gzip is inflated with zlib (checking
// every member's CRC32 and length, which libarchive 3.6 skips), zstd with
// libarchive's filter (libzstd verifies frame checksums when present). The
// compressed source must outlive it.
class DecompressedStream : public ByteSource {
 public:
  // Reads the first bytes of `compressed` to pick the decoder. `media_type`
  // may be empty (detect from bytes only).
  static absl::StatusOr<std::unique_ptr<DecompressedStream>> Open(ByteSource& compressed,
                                                                  absl::string_view media_type = "");
  ~DecompressedStream() override;
  DecompressedStream(const DecompressedStream&) = delete;
  DecompressedStream& operator=(const DecompressedStream&) = delete;

  // Uncompressed bytes; every byte returned is folded into the digest. A
  // corrupt or truncated compressed stream is DataLoss.
  absl::StatusOr<size_t> Read(char* buf, size_t len) override;

  // Reads whatever is left (e.g. tar padding after the end-of-archive
  // blocks) into the digest and returns "sha256:<64 hex>". Stops with
  // ResourceExhausted once more than `max_bytes` uncompressed bytes have been
  // seen in total, so a decompression bomb after the tar end cannot spin.
  // Call once.
  absl::StatusOr<std::string> Finish(uint64_t max_bytes = UINT64_MAX);

  Compression compression() const { return compression_; }
  // Uncompressed bytes returned so far.
  uint64_t uncompressed_bytes() const { return total_; }

 private:
  struct Impl;
  DecompressedStream(Compression c, std::unique_ptr<Impl> impl);

  Compression compression_;
  std::unique_ptr<Impl> impl_;
  uint64_t total_ = 0;
};

}  // namespace silo::image::layers
