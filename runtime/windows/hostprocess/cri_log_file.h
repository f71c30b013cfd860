#pragma once
// CriLogFile: a container's CRI log file fed by its stdout and stderr pumps,
// cut into records by the shared CriLineCutter (one per stream) and
// formatted by FormatCriLogRecord, as the Linux shim and silo-shim.exe write
// them. Reopen() starts a new file at the same path after kubelet rotated
// the old one. Thread-safe.

#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "runtime/shim/core/cri_line_cutter.h"
#include "runtime/shim/core/cri_log_record.h"

namespace silo::runtime::windows::hostprocess {

class CriLogFile {
 public:
  // An empty path discards everything.
  static absl::Status Open(const std::string& path, CriLogFile& out);
  CriLogFile() = default;
  ~CriLogFile();
  CriLogFile(const CriLogFile&) = delete;
  CriLogFile& operator=(const CriLogFile&) = delete;

  void Write(shim::LogStream stream, std::string_view data);
  // Flushes each stream's unterminated last line as P records (both ended).
  void Finish();
  absl::Status Reopen();

 private:
  void Emit(shim::LogStream stream, bool partial, std::string_view content);

  std::mutex mu_;
  std::string path_;
  std::FILE* file_ = nullptr;
  shim::CriLineCutter out_cutter_;
  shim::CriLineCutter err_cutter_;
};

}  // namespace silo::runtime::windows::hostprocess
