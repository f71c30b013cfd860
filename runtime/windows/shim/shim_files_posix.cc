#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/windows/shim/shim_files.h"

namespace silo::runtime::windows::shim {
namespace {

using win32::HrStatus;
using win32::Result;

// errno as HRESULT_FROM_WIN32 of the nearest Win32 code where one matters.
HrStatus Errno(int err, const std::string& what) {
  const uint32_t hr = err == ENOENT ? kHrFileNotFound : 0x80004005;  // E_FAIL
  return HrStatus(hr, what + ": " + std::strerror(err));
}

HrStatus WriteAll(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno(errno, what);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return HrStatus::Ok();
}

class PosixLogFile : public LogFile {
 public:
  PosixLogFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixLogFile() override { ::close(fd_); }

  static Result<int> OpenFd(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) return Errno(errno, "open container log " + path);
    return fd;
  }

  HrStatus Append(std::string_view data) override { return WriteAll(fd_, data, "write container log " + path_); }

  HrStatus Reopen() override {
    auto fd = OpenFd(path_);
    if (!fd.ok()) return fd.status();
    ::close(fd_);
    fd_ = *fd;
    return HrStatus::Ok();
  }

 private:
  const std::string path_;
  int fd_;
};

}  // namespace

Result<std::unique_ptr<LogFile>> LogFile::Open(const std::string& path) {
  auto fd = PosixLogFile::OpenFd(path);
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<LogFile>(new PosixLogFile(path, *fd));
}

HrStatus WriteFileDurably(const std::string& path, std::string_view contents) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return Errno(errno, "create " + tmp);
  HrStatus s = WriteAll(fd, contents, "write " + tmp);
  if (s.ok() && ::fsync(fd) != 0) s = Errno(errno, "fsync " + tmp);
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = Errno(errno, "rename " + tmp + " to " + path);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  // The rename itself is durable once the directory is synced.
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return HrStatus::Ok();
}

Result<std::string> ReadSmallFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno(errno, "open " + path);
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      HrStatus s = Errno(errno, "read " + path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace silo::runtime::windows::shim
