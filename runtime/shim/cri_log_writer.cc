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
  std::string record = FormatCriLogRecord(clock_(), stream, partial, content);
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

absl::Status CriLineSplitter::EmitChunks(absl::string_view line, bool final_full) {
  absl::Status first;
  while (line.size() > max_line_ || (!final_full && !line.empty())) {
    size_t n = std::min(line.size(), max_line_);
    absl::Status s = writer_->Write(stream_, /*partial=*/true, line.substr(0, n));
    if (first.ok()) first = s;
    line.remove_prefix(n);
  }
  if (final_full) {
    absl::Status s = writer_->Write(stream_, /*partial=*/false, line);
    if (first.ok()) first = s;
  }
  return first;
}

absl::Status CriLineSplitter::Feed(absl::string_view data) {
  absl::Status first;
  auto keep = [&first](absl::Status s) {
    if (first.ok()) first = std::move(s);
  };
  while (!data.empty()) {
    size_t nl = data.find('\n');
    if (nl == absl::string_view::npos) {
      pending_.append(data.data(), data.size());
      break;
    }
    pending_.append(data.data(), nl);
    data.remove_prefix(nl + 1);
    absl::string_view line = pending_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    keep(EmitChunks(line, /*final_full=*/true));
    pending_.clear();
  }
  // Cut full chunks from an unfinished line, but hold back a trailing '\r'
  // that may yet turn out to be half of "\r\n".
  size_t usable = pending_.size();
  if (usable > 0 && pending_.back() == '\r') --usable;
  if (usable > max_line_) {
    size_t cut = (usable - 1) / max_line_ * max_line_;
    for (size_t off = 0; off < cut; off += max_line_) {
      keep(writer_->Write(stream_, /*partial=*/true, absl::string_view(pending_).substr(off, max_line_)));
    }
    pending_.erase(0, cut);
  }
  return first;
}

absl::Status CriLineSplitter::Finish() {
  absl::Status s = EmitChunks(pending_, /*final_full=*/false);
  pending_.clear();
  return s;
}

}  // namespace silo::runtime::shim
