#pragma once
// kubelet's CRI container log format, one record per line:
//   <RFC3339Nano timestamp> <stdout|stderr> <P|F> <content>\n
// `P` marks a chunk of a longer line (or a trailing line without a newline at
// EOF); `F` ends a line. kubelet joins P chunks and appends "\n" after F.
// Pure functions; thread-safe.

#include <cstdint>
#include <ctime>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace silo::runtime::shim {

enum class LogStream { kStdout, kStderr };

const char* LogStreamName(LogStream stream);

// Go's time.RFC3339Nano in UTC: fraction without trailing zeros, omitted when
// zero, "Z" suffix, e.g. "2026-11-28T16:57:21.12Z".
std::string FormatRfc3339NanoUtc(const struct timespec& ts);

// One complete record including the trailing '\n'. `content` must not hold '\n'.
std::string FormatCriLogRecord(const struct timespec& ts, LogStream stream, bool partial,
                               absl::string_view content);

struct CriLogRecord {
  std::string timestamp;  // as written; validated as RFC 3339
  LogStream stream = LogStream::kStdout;
  bool partial = false;
  std::string content;
};

// Parses one line (with or without its '\n') the way kubelet does:
// timestamp, stream, tags (first tag P or F; further ':'-separated tags are
// ignored), then the rest of the line as content. InvalidArgument otherwise.
absl::StatusOr<CriLogRecord> ParseCriLogRecord(absl::string_view line);

}  // namespace silo::runtime::shim
