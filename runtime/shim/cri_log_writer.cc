#include "runtime/shim/cri_log_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"
#include "runtime/base/mutex.h"

namespace silo::runtime::shim {
namespace {

struct timespec RealtimeNow() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts;
}

absl::StatusOr<int> OpenLog(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("open container log ", path));
  return fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CriLogWriter>> CriLogWriter::Open(std::string path, Clock clock) {
  auto fd = OpenLog(path);
  if (!fd.ok()) return fd.status();
  if (!clock) clock = RealtimeNow;
  return std::unique_ptr<CriLogWriter>(new CriLogWriter(std::move(path), std::move(clock), *fd));
}

CriLogWriter::~CriLogWriter() {
  silo::MutexLock lock(&mu_);
  if (fd_ >= 0) ::close(fd_);
}

absl::Status CriLogWriter::Write(LogStream stream, bool partial, absl::string_view content) {
  std::string record = FormatCriLogRecord(clock_(), stream, partial, std::string_view(content.data(), content.size()));
  silo::MutexLock lock(&mu_);
  size_t done = 0;
  while (done < record.size()) {
    ssize_t n = ::write(fd_, record.data() + done, record.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, absl::StrCat("write container log ", path_));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status CriLogWriter::Reopen() {
  auto fd = OpenLog(path_);
  if (!fd.ok()) return fd.status();
  silo::MutexLock lock(&mu_);
  ::close(fd_);
  fd_ = *fd;
  return absl::OkStatus();
}

CriLineCutter::Emit CriLineSplitter::Writer(absl::Status* first) {
  return [this, first](bool partial, std::string_view content) {
    absl::Status s = writer_->Write(stream_, partial, absl::string_view(content.data(), content.size()));
    if (first->ok()) *first = std::move(s);
  };
}

absl::Status CriLineSplitter::Feed(absl::string_view data) {
  absl::Status first;
  cutter_.Feed(std::string_view(data.data(), data.size()), Writer(&first));
  return first;
}

absl::Status CriLineSplitter::Finish() {
  absl::Status first;
  cutter_.Finish(Writer(&first));
  return first;
}

}  // namespace silo::runtime::shim
