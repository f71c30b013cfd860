#include "runtime/windows/hostprocess/cri_log_file.h"

#include "runtime/windows/hresult.h"

namespace silo::runtime::windows::hostprocess {

using runtime::shim::LogStream;

absl::Status CriLogFile::Open(const std::string& path, CriLogFile& out) {
  std::lock_guard lock(out.mu_);
  out.path_ = path;
  if (path.empty()) return absl::OkStatus();
  auto writer = windows::shim::CriLogFile::Open(path);
  if (!writer.ok()) return HrStatusToStatus(writer.status(), "opening container log", path);
  out.writer_ = std::move(writer.value());
  return absl::OkStatus();
}

void CriLogFile::Emit(LogStream stream, bool partial, std::string_view content) {
  if (writer_ == nullptr) return;
  // A full disk or a vanished volume must not stop the pumps draining the
  // process's pipes (it would block on a full pipe): the record is dropped.
  static_cast<void>(writer_->Write(stream, partial, content));
}

void CriLogFile::Write(LogStream stream, std::string_view data) {
  std::lock_guard lock(mu_);
  auto& cutter = stream == LogStream::kStdout ? out_cutter_ : err_cutter_;
  cutter.Feed(data, [&](bool partial, std::string_view content) { Emit(stream, partial, content); });
}

void CriLogFile::Finish() {
  std::lock_guard lock(mu_);
  out_cutter_.Finish([&](bool partial, std::string_view c) { Emit(LogStream::kStdout, partial, c); });
  err_cutter_.Finish([&](bool partial, std::string_view c) { Emit(LogStream::kStderr, partial, c); });
}

absl::Status CriLogFile::Reopen() {
  std::lock_guard lock(mu_);
  if (writer_ == nullptr) return absl::OkStatus();
  return HrStatusToStatus(writer_->Reopen(), "reopening container log", path_);
}

}  // namespace silo::runtime::windows::hostprocess
