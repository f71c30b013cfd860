#include "image/layers/decompress.h"

#include <archive.h>
#include <openssl/evp.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"

namespace silo::image::layers {
namespace {

constexpr size_t kInputChunk = 64 * 1024;
// Enough bytes to tell gzip, zstd, bzip2 and xz apart.
constexpr size_t kMagicBytes = 6;

std::string Hex(const unsigned char* data, size_t len) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (size_t i = 0; i < len; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xf]);
  }
  return out;
}

}  // namespace

absl::StatusOr<size_t> IstreamSource::Read(char* buf, size_t len) {
  in_.read(buf, static_cast<std::streamsize>(len));
  if (in_.bad()) return absl::DataLossError("read layer stream: stream is bad");
  return static_cast<size_t>(in_.gcount());
}

absl::string_view CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone: return "none";
    case Compression::kGzip: return "gzip";
    case Compression::kZstd: return "zstd";
  }
  return "unknown";
}

absl::StatusOr<Compression> DetectCompression(absl::string_view head) {
  auto starts = [&](absl::string_view magic) { return absl::StartsWith(head, magic); };
  if (starts("\x1f\x8b")) return Compression::kGzip;
  if (starts("\x28\xb5\x2f\xfd")) return Compression::kZstd;
  if (starts("BZh")) return absl::UnimplementedError("layer is bzip2-compressed; OCI layers allow only gzip or zstd");
  if (starts(absl::string_view("\xfd" "7zXZ\0", 6))) {
    return absl::UnimplementedError("layer is xz-compressed; OCI layers allow only gzip or zstd");
  }
  return Compression::kNone;
}

absl::StatusOr<Compression> CompressionFromMediaType(absl::string_view media_type) {
  struct Known {
    absl::string_view type;
    Compression compression;
  };
  static constexpr Known kKnown[] = {
      {"application/vnd.oci.image.layer.v1.tar", Compression::kNone},
      {"application/vnd.oci.image.layer.v1.tar+gzip", Compression::kGzip},
      {"application/vnd.oci.image.layer.v1.tar+zstd", Compression::kZstd},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar", Compression::kNone},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", Compression::kGzip},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", Compression::kZstd},
      {"application/vnd.docker.image.rootfs.diff.tar", Compression::kNone},
      {"application/vnd.docker.image.rootfs.diff.tar.gzip", Compression::kGzip},
      {"application/vnd.docker.image.rootfs.diff.tar.zstd", Compression::kZstd},
      {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", Compression::kGzip},
  };
  for (const Known& k : kKnown) {
    if (media_type == k.type) return k.compression;
  }
  return absl::InvalidArgumentError(absl::StrCat("unsupported layer media type \"", media_type, "\""));
}

struct DecompressedStream::Impl {
  ByteSource* src = nullptr;
  std::string head;  // bytes read for detection, replayed first
  size_t head_pos = 0;
  std::vector<char> inbuf = std::vector<char>(kInputChunk);
  struct archive* ar = nullptr;  // null for uncompressed streams
  absl::Status source_error;     // why the read callback failed
  EVP_MD_CTX* md = nullptr;
  bool eof = false;
  // gzip goes through zlib directly: libarchive 3.6's gzip filter never
  // checks the member CRC32/ISIZE trailer, so corruption would pass.
  z_stream zs{};
  bool zs_init = false;
  bool in_member = false;  // input fed since the last member ended

  ~Impl() {
    if (zs_init) inflateEnd(&zs);
    if (ar != nullptr) archive_read_free(ar);
    if (md != nullptr) EVP_MD_CTX_free(md);
  }

  // Raw (compressed or plain) bytes: the replayed head, then the source.
  absl::StatusOr<size_t> ReadRaw(char* buf, size_t len) {
    if (head_pos < head.size()) {
      size_t n = std::min(len, head.size() - head_pos);
      std::memcpy(buf, head.data() + head_pos, n);
      head_pos += n;
      return n;
    }
    return src->Read(buf, len);
  }

  absl::StatusOr<size_t> ReadGzip(char* buf, size_t len) {
    while (true) {
      if (zs.avail_in == 0) {
        SILO_ASSIGN_OR_RETURN(size_t n, ReadRaw(inbuf.data(), inbuf.size()));
        if (n == 0) {
          if (in_member) return absl::DataLossError("decompress gzip layer: truncated gzip stream");
          return 0;
        }
        zs.next_in = reinterpret_cast<Bytef*>(inbuf.data());
        zs.avail_in = static_cast<uInt>(n);
      }
      in_member = true;
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = static_cast<uInt>(std::min<size_t>(len, UINT32_MAX));
      int r = inflate(&zs, Z_NO_FLUSH);
      size_t produced = static_cast<size_t>(reinterpret_cast<char*>(zs.next_out) - buf);
      if (r == Z_STREAM_END) {
        // Members may be concatenated (RFC 1952); the next one starts fresh.
        in_member = false;
        inflateReset(&zs);
      } else if (r != Z_OK && r != Z_BUF_ERROR) {
        return absl::DataLossError(
            absl::StrCat("decompress gzip layer: ", zs.msg != nullptr ? zs.msg : "corrupt data"));
      }
      if (produced > 0) return produced;
    }
  }

  static la_ssize_t ArchiveRead(struct archive* a, void* self, const void** out) {
    auto* impl = static_cast<Impl*>(self);
    absl::StatusOr<size_t> n = impl->ReadRaw(impl->inbuf.data(), impl->inbuf.size());
    if (!n.ok()) {
      impl->source_error = n.status();
      archive_set_error(a, EIO, "%s", std::string(n.status().message()).c_str());
      return -1;
    }
    *out = impl->inbuf.data();
    return static_cast<la_ssize_t>(*n);
  }
};

DecompressedStream::DecompressedStream(Compression c, std::unique_ptr<Impl> impl)
    : compression_(c), impl_(std::move(impl)) {}

DecompressedStream::~DecompressedStream() = default;

absl::StatusOr<std::unique_ptr<DecompressedStream>> DecompressedStream::Open(ByteSource& compressed,
                                                                             absl::string_view media_type) {
  if (!media_type.empty()) SILO_RETURN_IF_ERROR(CompressionFromMediaType(media_type).status());

  auto impl = std::make_unique<Impl>();
  impl->src = &compressed;
  char magic[kMagicBytes];
  while (impl->head.size() < kMagicBytes) {
    SILO_ASSIGN_OR_RETURN(size_t n, compressed.Read(magic, kMagicBytes - impl->head.size()));
    if (n == 0) break;
    impl->head.append(magic, n);
  }
  SILO_ASSIGN_OR_RETURN(Compression c, DetectCompression(impl->head));

  impl->md = EVP_MD_CTX_new();
  if (impl->md == nullptr || EVP_DigestInit_ex(impl->md, EVP_sha256(), nullptr) != 1) {
    return absl::InternalError("sha256 init failed (OpenSSL EVP)");
  }

  if (c == Compression::kGzip) {
    if (inflateInit2(&impl->zs, 16 + MAX_WBITS) != Z_OK) return absl::InternalError("zlib inflateInit2 failed");
    impl->zs_init = true;
  } else if (c == Compression::kZstd) {
    // libarchive as a pure decompressor: the forced filter skips bidding and
    // the "raw" format hands back the filtered bytes as one entry.
    impl->ar = archive_read_new();
    if (impl->ar == nullptr) return absl::ResourceExhaustedError("archive_read_new failed");
    if (archive_read_append_filter(impl->ar, ARCHIVE_FILTER_ZSTD) != ARCHIVE_OK ||
        archive_read_support_format_raw(impl->ar) != ARCHIVE_OK) {
      return absl::InternalError(absl::StrCat("libarchive ", CompressionName(c),
                                              " filter unavailable: ", archive_error_string(impl->ar)));
    }
    if (archive_read_open(impl->ar, impl.get(), nullptr, &Impl::ArchiveRead, nullptr) != ARCHIVE_OK) {
      if (!impl->source_error.ok()) return impl->source_error;
      return absl::DataLossError(absl::StrCat("open ", CompressionName(c),
                                              " layer stream: ", archive_error_string(impl->ar)));
    }
    struct archive_entry* entry = nullptr;
    int r = archive_read_next_header(impl->ar, &entry);
    if (r == ARCHIVE_EOF) {
      impl->eof = true;
    } else if (r != ARCHIVE_OK) {
      if (!impl->source_error.ok()) return impl->source_error;
      return absl::DataLossError(absl::StrCat("read ", CompressionName(c),
                                              " layer stream: ", archive_error_string(impl->ar)));
    }
  }
  return std::unique_ptr<DecompressedStream>(new DecompressedStream(c, std::move(impl)));
}

absl::StatusOr<size_t> DecompressedStream::Read(char* buf, size_t len) {
  if (impl_->eof || len == 0) return 0;
  size_t n = 0;
  if (compression_ == Compression::kGzip) {
    SILO_ASSIGN_OR_RETURN(n, impl_->ReadGzip(buf, len));
  } else if (impl_->ar == nullptr) {
    SILO_ASSIGN_OR_RETURN(n, impl_->ReadRaw(buf, len));
  } else {
    la_ssize_t r = archive_read_data(impl_->ar, buf, len);
    if (r < 0) {
      if (!impl_->source_error.ok()) return impl_->source_error;
      return absl::DataLossError(absl::StrCat("decompress ", CompressionName(compression_),
                                              " layer: ", archive_error_string(impl_->ar)));
    }
    n = static_cast<size_t>(r);
  }
  if (n == 0) {
    impl_->eof = true;
    return 0;
  }
  EVP_DigestUpdate(impl_->md, buf, n);
  total_ += n;
  return n;
}

absl::StatusOr<std::string> DecompressedStream::Finish(uint64_t max_bytes) {
  std::vector<char> buf(kInputChunk);
  while (true) {
    if (total_ > max_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("uncompressed layer exceeds ", max_bytes, " bytes"));
    }
    SILO_ASSIGN_OR_RETURN(size_t n, Read(buf.data(), buf.size()));
    if (n == 0) break;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_DigestFinal_ex(impl_->md, digest, &digest_len) != 1) {
    return absl::InternalError("sha256 final failed (OpenSSL EVP)");
  }
  return absl::StrCat("sha256:", Hex(digest, digest_len));
}

}  // namespace silo::image::layers
