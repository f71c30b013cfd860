#pragma once
// Writes a container's stdout and stderr into one CRI log file.
//
// CriLogWriter owns the file; each record is one write(2) on an O_APPEND
// descriptor under a mutex, so two streams (two threads or one poll loop)
// never interleave inside a record. Reopen() serves ReopenContainerLog after
// kubelet has rotated (renamed) the file: it opens a fresh file at the path.
//
// CriLineSplitter writes one stream's raw bytes as records, cut by
// CriLineCutter (core/cri_line_cutter.h, containerd's rules). One splitter
// per stream; not thread-safe by itself.

#include <ctime>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/base/mutex.h"
#include "runtime/shim/core/cri_line_cutter.h"
#include "runtime/shim/cri_log_format.h"

namespace silo::runtime::shim {

class CriLogWriter {
 public:
  using Clock = std::function<struct timespec()>;

  // Opens (creating, mode 0640) `path` for appending. `clock` defaults to
  // CLOCK_REALTIME; tests inject a fixed one.
  static absl::StatusOr<std::unique_ptr<CriLogWriter>> Open(std::string path, Clock clock = nullptr);
  ~CriLogWriter();
  CriLogWriter(const CriLogWriter&) = delete;
  CriLogWriter& operator=(const CriLogWriter&) = delete;

  // Appends one record. `content` must not contain '\n'. Thread-safe.
  absl::Status Write(LogStream stream, bool partial, absl::string_view content);

  // Closes the current file and opens `path` again (creating it). On failure
  // the old descriptor stays in use. Thread-safe.
  absl::Status Reopen();

  const std::string& path() const { return path_; }

 private:
  CriLogWriter(std::string path, Clock clock, int fd) : path_(std::move(path)), clock_(std::move(clock)), fd_(fd) {}

  const std::string path_;
  const Clock clock_;
  silo::Mutex mu_;
  int fd_ ABSL_GUARDED_BY(mu_);
};

class CriLineSplitter {
 public:
  // `writer` must outlive the splitter.
  CriLineSplitter(CriLogWriter* writer, LogStream stream, size_t max_line = kDefaultMaxLogLine)
      : writer_(writer), stream_(stream), cutter_(max_line) {}

  // Consumes raw bytes; writes every complete record they finish. Returns the
  // first write error, but always consumes all of `data` (the container's
  // output must be drained even when the disk is full).
  absl::Status Feed(absl::string_view data);

  // End of stream: writes what is left as P records.
  absl::Status Finish();

 private:
  // Writes the cut records, keeping the first error.
  CriLineCutter::Emit Writer(absl::Status* first);

  CriLogWriter* writer_;
  LogStream stream_;
  CriLineCutter cutter_;
};

}  // namespace silo::runtime::shim
