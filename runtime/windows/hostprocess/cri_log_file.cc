#include "runtime/windows/hostprocess/cri_log_file.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include "absl/strings/str_cat.h"

namespace silo::runtime::windows::hostprocess {

absl::Status CriLogFile::Open(const std::string& path, CriLogFile& out) {
  std::lock_guard lock(out.mu_);
  out.path_ = path;
  if (path.empty()) return absl::OkStatus();
  out.file_ = std::fopen(path.c_str(), "ab");
  if (out.file_ == nullptr) {
    return absl::InternalError(absl::StrCat("opening container log ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

CriLogFile::~CriLogFile() {
  if (file_ != nullptr) std::fclose(file_);
}

void CriLogFile::Emit(shim::LogStream stream, bool partial, std::string_view content) {
  if (file_ == nullptr) return;
  // From the system clock: mingw's C runtime has no timespec_get.
  const auto since = std::chrono::system_clock::now().time_since_epoch();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since);
  struct timespec ts {};
  ts.tv_sec = static_cast<time_t>(secs.count());
  ts.tv_nsec = static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(since - secs).count());
  std::string record = shim::FormatCriLogRecord(ts, stream, partial, content);
  std::fwrite(record.data(), 1, record.size(), file_);
  std::fflush(file_);  // kubelet tails the file while the container runs
}

void CriLogFile::Write(shim::LogStream stream, std::string_view data) {
  std::lock_guard lock(mu_);
  auto& cutter = stream == shim::LogStream::kStdout ? out_cutter_ : err_cutter_;
  cutter.Feed(data, [&](bool partial, std::string_view content) { Emit(stream, partial, content); });
}

void CriLogFile::Finish() {
  std::lock_guard lock(mu_);
  out_cutter_.Finish([&](bool partial, std::string_view c) { Emit(shim::LogStream::kStdout, partial, c); });
  err_cutter_.Finish([&](bool partial, std::string_view c) { Emit(shim::LogStream::kStderr, partial, c); });
}

absl::Status CriLogFile::Reopen() {
  std::lock_guard lock(mu_);
  if (path_.empty()) return absl::OkStatus();
  std::FILE* next = std::fopen(path_.c_str(), "ab");
  if (next == nullptr) {
    return absl::InternalError(absl::StrCat("reopening container log ", path_, ": ", std::strerror(errno)));
  }
  if (file_ != nullptr) std::fclose(file_);
  file_ = next;
  return absl::OkStatus();
}

}  // namespace silo::runtime::windows::hostprocess
