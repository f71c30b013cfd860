#pragma once
// Test-only builders of real tar streams: TarBuilder writes POSIX pax tars
// with libarchive's write API; AppendRawPaxMember writes members with
// arbitrary PAX records (libarchive cannot emit MSWINDOWS.* keys); Compress
// wraps bytes in gzip or zstd with libarchive's write filters.

#include <cstdint>
#include <map>
#include <string>

#include "image/layers/decompress.h"

struct archive;

namespace silo::image::layers::testing {

struct TarMember {
  std::string path{};
  unsigned type = 0100000;  // AE_IFREG; use AE_IF* from archive_entry.h
  std::string content{};      // file data
  std::string link{};         // symlink target or hard link path
  bool hardlink = false;
  unsigned mode = 0644;
  int64_t uid = 0;
  int64_t gid = 0;
  int64_t mtime = 1700000000;
  int64_t declared_size = -1;  // overrides content.size() in the header
  unsigned dev_major = 0;
  unsigned dev_minor = 0;
  std::map<std::string, std::string> xattrs{};
};

class TarBuilder {
 public:
  TarBuilder();
  ~TarBuilder();
  TarBuilder(const TarBuilder&) = delete;
  TarBuilder& operator=(const TarBuilder&) = delete;

  TarBuilder& Add(const TarMember& m);
  TarBuilder& File(const std::string& path, const std::string& content, unsigned mode = 0644);
  TarBuilder& Dir(const std::string& path, unsigned mode = 0755);
  TarBuilder& Symlink(const std::string& path, const std::string& target);
  TarBuilder& Hardlink(const std::string& path, const std::string& target);
  // Closes the archive and returns the uncompressed tar bytes.
  std::string Finish();

 private:
  struct archive* ar_;
  std::string out_;
};

// Appends one ustar member preceded by a PAX 'x' header carrying `pax`.
void AppendRawPaxMember(std::string* tar, const std::string& name, char typeflag, const std::string& content,
                        const std::map<std::string, std::string>& pax, const std::string& linkname = "");
// Appends the two zero blocks that end a tar.
void AppendTarEnd(std::string* tar);

// gzip or zstd (or identity for kNone) of `plain`.
std::string Compress(const std::string& plain, Compression c);

// "sha256:<hex>" of `data`.
std::string Sha256Digest(const std::string& data);

}  // namespace silo::image::layers::testing
