#include "runtime/shim/core/cri_log_record.h"

#include <chrono>
#include <cstdio>

namespace silo::runtime::shim {

const char* LogStreamName(LogStream stream) { return stream == LogStream::kStdout ? "stdout" : "stderr"; }

std::string FormatRfc3339NanoUtc(const struct timespec& ts) {
  // Civil time from the calendar of <chrono>: no gmtime_r, which mingw lacks.
  using namespace std::chrono;
  const sys_seconds secs{seconds{ts.tv_sec}};
  const sys_days day = floor<days>(secs);
  const year_month_day ymd{day};
  const hh_mm_ss<seconds> hms{secs - day};
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02lld", static_cast<int>(ymd.year()),
                        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                        static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                        static_cast<long long>(hms.seconds().count()));
  std::string out(buf, static_cast<size_t>(n));
  if (ts.tv_nsec > 0) {
    char frac[32];
    std::snprintf(frac, sizeof(frac), "%09ld", static_cast<long>(ts.tv_nsec));
    std::string f(frac);
    while (!f.empty() && f.back() == '0') f.pop_back();
    out += '.';
    out += f;
  }
  out.push_back('Z');
  return out;
}

std::string FormatCriLogRecord(const struct timespec& ts, LogStream stream, bool partial, std::string_view content) {
  std::string out = FormatRfc3339NanoUtc(ts);
  out += ' ';
  out += LogStreamName(stream);
  out += partial ? " P " : " F ";
  out.append(content.data(), content.size());
  out.push_back('\n');
  return out;
}

}  // namespace silo::runtime::shim
