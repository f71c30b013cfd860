#pragma once
// CriLogFile: a container's CRI log file fed by its stdout and stderr pumps,
// cut into records by the shared CriLineCutter (one per stream) and written
// by silo-shim.exe's log writer (windows/shim/cri_log_file.h), so the file
// is opened the same way: on Windows from the UTF-8 path as UTF-16 and with
// FILE_SHARE_DELETE, so kubelet can rename (rotate) it while it is open.
// Reopen() starts a new file at the same path after kubelet rotated the old
// one. Thread-safe.

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "runtime/shim/core/cri_line_cutter.h"
#include "runtime/shim/core/cri_log_record.h"
#include "runtime/windows/shim/cri_log_file.h"

namespace silo::runtime::windows::hostprocess {

class CriLogFile {
 public:
  // An empty path discards everything.
  static absl::Status Open(const std::string& path, CriLogFile& out);
  CriLogFile() = default;
  CriLogFile(const CriLogFile&) = delete;
  CriLogFile& operator=(const CriLogFile&) = delete;

  void Write(runtime::shim::LogStream stream, std::string_view data);
  // Flushes each stream's unterminated last line as P records (both ended).
  void Finish();
  absl::Status Reopen();

 private:
  void Emit(runtime::shim::LogStream stream, bool partial, std::string_view content);

  std::mutex mu_;
  std::string path_;
  std::unique_ptr<windows::shim::CriLogFile> writer_;  // null: discard
  runtime::shim::CriLineCutter out_cutter_;
  runtime::shim::CriLineCutter err_cutter_;
};

}  // namespace silo::runtime::windows::hostprocess
