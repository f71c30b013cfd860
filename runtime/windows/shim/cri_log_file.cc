#include "runtime/windows/shim/cri_log_file.h"

#include <chrono>

namespace silo::runtime::windows::shim {

struct timespec SystemClockNow() {
  const auto since = std::chrono::system_clock::now().time_since_epoch();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since);
  struct timespec ts = {};
  ts.tv_sec = static_cast<time_t>(secs.count());
  ts.tv_nsec = static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(since - secs).count());
  return ts;
}

win32::Result<std::unique_ptr<CriLogFile>> CriLogFile::Open(const std::string& path, Clock clock) {
  auto file = LogFile::Open(path);
  if (!file.ok()) return file.status();
  if (!clock) clock = SystemClockNow;
  return std::unique_ptr<CriLogFile>(new CriLogFile(std::move(*file), std::move(clock)));
}

win32::HrStatus CriLogFile::Write(LogStream stream, bool partial, std::string_view content) {
  const std::string record = runtime::shim::FormatCriLogRecord(clock_(), stream, partial, content);
  std::lock_guard<std::mutex> lock(mu_);
  return file_->Append(record);
}

win32::HrStatus CriLogFile::Reopen() {
  std::lock_guard<std::mutex> lock(mu_);
  return file_->Reopen();
}

}  // namespace silo::runtime::windows::shim
