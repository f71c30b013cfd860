#pragma once
// kubelet's CRI container log format (core/cri_log_record.h writes it); this
// file adds the reading side. kubelet joins P chunks and appends "\n" after F.
// Pure functions; thread-safe.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/shim/core/cri_log_record.h"

namespace silo::runtime::shim {

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
