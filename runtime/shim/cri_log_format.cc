#include "runtime/shim/cri_log_format.h"

#include "absl/strings/str_cat.h"

namespace silo::runtime::shim {
namespace {

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Checks the shape Go's RFC3339Nano parser accepts: date 'T' time, optional
// fraction, then 'Z' or a +hh:mm / -hh:mm offset.
bool IsRfc3339(absl::string_view t) {
  if (t.size() < 20) return false;
  if (!AllDigits(t.substr(0, 4)) || t[4] != '-' || !AllDigits(t.substr(5, 2)) || t[7] != '-' ||
      !AllDigits(t.substr(8, 2)) || t[10] != 'T' || !AllDigits(t.substr(11, 2)) || t[13] != ':' ||
      !AllDigits(t.substr(14, 2)) || t[16] != ':' || !AllDigits(t.substr(17, 2))) {
    return false;
  }
  absl::string_view rest = t.substr(19);
  if (!rest.empty() && rest[0] == '.') {
    size_t n = 1;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
    if (n == 1 || n > 10) return false;
    rest.remove_prefix(n);
  }
  if (rest == "Z") return true;
  return rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && AllDigits(rest.substr(1, 2)) &&
         rest[3] == ':' && AllDigits(rest.substr(4, 2));
}

}  // namespace

absl::StatusOr<CriLogRecord> ParseCriLogRecord(absl::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  auto next_field = [&line](absl::string_view* field) {
    size_t sp = line.find(' ');
    if (sp == absl::string_view::npos) return false;
    *field = line.substr(0, sp);
    line.remove_prefix(sp + 1);
    return true;
  };
  absl::string_view ts, stream, tags;
  if (!next_field(&ts) || !IsRfc3339(ts)) {
    return absl::InvalidArgumentError(absl::StrCat("CRI log record has no valid timestamp: ", line));
  }
  if (!next_field(&stream) || (stream != "stdout" && stream != "stderr")) {
    return absl::InvalidArgumentError(absl::StrCat("CRI log record has no valid stream: ", line));
  }
  if (!next_field(&tags)) {
    return absl::InvalidArgumentError(absl::StrCat("CRI log record has no tag: ", line));
  }
  absl::string_view first_tag = tags.substr(0, tags.find(':'));
  if (first_tag != "P" && first_tag != "F") {
    return absl::InvalidArgumentError(absl::StrCat("CRI log record has unknown tag: ", line));
  }
  CriLogRecord record;
  record.timestamp = std::string(ts);
  record.stream = stream == "stdout" ? LogStream::kStdout : LogStream::kStderr;
  record.partial = first_tag == "P";
  record.content = std::string(line);
  return record;
}

}  // namespace silo::runtime::shim
