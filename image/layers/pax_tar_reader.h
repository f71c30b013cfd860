#pragma once
// A minimal streaming tar header reader that keeps every PAX record.
//
// libarchive drops PAX keys it does not know (MSWINDOWS.*), which Windows
// layers depend on, so the Windows import plan reads headers itself. Handles
// ustar, PAX ('x' per-entry, 'g' global) and GNU long names ('L', 'K'), octal
// and base-256 numbers, and verifies each header checksum. Entry data is
// skipped, never buffered, unless ReadData asks for it.
//
// Not thread-safe; one reader per stream. The source must outlive it.

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "image/layers/decompress.h"

namespace silo::image::layers {

struct TarHeader {
  std::string name;      // PAX "path" or GNU long name if present
  std::string linkname;  // PAX "linkpath" or GNU long link if present
  char typeflag = '0';   // '\0' is reported as '0', '7' as '0'
  uint64_t size = 0;
  uint32_t mode = 0;
  int64_t mtime_sec = 0;
  std::map<std::string, std::string> pax;  // global then per-entry records
};

class PaxTarReader {
 public:
  explicit PaxTarReader(ByteSource& source) : source_(source) {}

  // Next entry header, skipping the previous entry's unread data. Returns
  // false at the end-of-archive marker or end of stream. A bad checksum,
  // malformed PAX record or truncated stream is DataLoss.
  absl::StatusOr<bool> Next(TarHeader* out);

  // The data of the entry Next() returned last (all of it; "" once read or
  // for a header-only entry). ResourceExhausted above `max_bytes`.
  absl::StatusOr<std::string> ReadData(uint64_t max_bytes = UINT64_MAX);

 private:
  absl::Status ReadExact(char* buf, size_t len, bool* eof);
  absl::Status Skip(uint64_t len);
  absl::StatusOr<std::string> ReadPayload(uint64_t size);

  ByteSource& source_;
  uint64_t pending_skip_ = 0;
  uint64_t data_left_ = 0;  // unread data bytes of the current entry
  std::map<std::string, std::string> global_pax_;
};

// Parses PAX extended header records ("<len> <key>=<value>\n"...) into `out`.
absl::Status ParsePaxRecords(absl::string_view data, std::map<std::string, std::string>* out);

}  // namespace silo::image::layers
