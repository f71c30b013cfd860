#pragma once
// Writing side of kubelet's CRI container log format, one record per line:
//   <RFC3339Nano timestamp> <stdout|stderr> <P|F> <content>\n
// `P` marks a chunk of a longer line (or a trailing line without a newline at
// EOF); `F` ends a line. Standard library only, so the Windows monitor
// (mingw, no Abseil) formats records with the same code as the Linux shim.
// Pure functions; thread-safe.

#include <ctime>
#include <string>
#include <string_view>

namespace silo::runtime::shim {

enum class LogStream { kStdout, kStderr };

const char* LogStreamName(LogStream stream);

// Go's time.RFC3339Nano in UTC: fraction without trailing zeros, omitted when
// zero, "Z" suffix, e.g. "2026-11-28T16:57:21.12Z".
std::string FormatRfc3339NanoUtc(const struct timespec& ts);

// One complete record including the trailing '\n'. `content` must not hold '\n'.
std::string FormatCriLogRecord(const struct timespec& ts, LogStream stream, bool partial, std::string_view content);

}  // namespace silo::runtime::shim
