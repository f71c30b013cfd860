#pragma once
// CriLogFile: a container's CRI log on the monitor's side. Each record is
// formatted by core/cri_log_record.h (the Linux shim's format) and appended
// with one write under a mutex, so stdout and stderr, drained on two
// threads, never interleave inside a record. Reopen serves
// ReopenContainerLog after kubelet renamed the file. Thread-safe.

#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "runtime/base/windows/result.h"
#include "runtime/shim/core/cri_log_record.h"
#include "runtime/windows/shim/shim_files.h"

namespace silo::runtime::windows::shim {

using runtime::shim::LogStream;

class CriLogFile {
 public:
  using Clock = std::function<struct timespec()>;

  // Opens `path` for appending; `clock` defaults to the system clock.
  static win32::Result<std::unique_ptr<CriLogFile>> Open(const std::string& path, Clock clock = nullptr);

  win32::HrStatus Write(LogStream stream, bool partial, std::string_view content);
  win32::HrStatus Reopen();

 private:
  CriLogFile(std::unique_ptr<LogFile> file, Clock clock) : file_(std::move(file)), clock_(std::move(clock)) {}

  std::mutex mu_;
  std::unique_ptr<LogFile> file_;  // guarded by mu_
  const Clock clock_;
};

// The system clock as a timespec (UTC since the epoch).
struct timespec SystemClockNow();

}  // namespace silo::runtime::windows::shim
