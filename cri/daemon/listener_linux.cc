#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cri/daemon/listener.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"
#include "spdlog/spdlog.h"

namespace silo::cri {
namespace {

constexpr char kUnixScheme[] = "unix://";

std::string UnixPath(const std::string& endpoint) { return endpoint.substr(sizeof(kUnixScheme) - 1); }

// True if something accepts connections on the socket at `path`.
absl::StatusOr<bool> SocketIsLive(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoToStatus(errno, "socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int err = errno;
  ::close(fd);
  if (rc == 0) return true;
  if (err == ECONNREFUSED || err == ENOENT) return false;
  return ErrnoToStatus(err, absl::StrCat("probe existing socket ", path));
}

}  // namespace

absl::StatusOr<std::string> PrepareListenEndpoint(const std::string& endpoint) {
  if (absl::StartsWith(endpoint, "tcp://")) {
    spdlog::warn("CRI endpoint {} is loopback TCP: it has no access control", endpoint);
    return endpoint.substr(6);
  }
  if (!absl::StartsWith(endpoint, kUnixScheme)) {
    return absl::InvalidArgumentError(absl::StrCat("endpoint ", endpoint, " is not supported on Linux"));
  }
  std::string path = UnixPath(endpoint);
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("socket path ", path, " is longer than ",
                                                   sizeof(sockaddr_un{}.sun_path) - 1, " bytes"));
  }
  SILO_RETURN_IF_ERROR(MakeDirs(std::filesystem::path(path).parent_path().string(), 0711));
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat(path, " exists and is not a socket; refusing to replace it"));
    }
    SILO_ASSIGN_OR_RETURN(bool live, SocketIsLive(path));
    if (live) {
      return absl::FailedPreconditionError(
          absl::StrCat("another server is already listening on ", endpoint, "; stop it first"));
    }
    spdlog::info("removing stale socket {} left by a previous silod", path);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return ErrnoToStatus(errno, absl::StrCat("remove stale socket ", path));
    }
  }
  return absl::StrCat("unix:", path);
}

absl::Status SecureListenEndpoint(const std::string& endpoint) {
  if (!absl::StartsWith(endpoint, kUnixScheme)) return absl::OkStatus();
  std::string path = UnixPath(endpoint);
  if (::chmod(path.c_str(), 0660) != 0) return ErrnoToStatus(errno, absl::StrCat("chmod ", path));
  if (::geteuid() == 0 && ::chown(path.c_str(), 0, 0) != 0) {
    return ErrnoToStatus(errno, absl::StrCat("chown ", path));
  }
  return absl::OkStatus();
}

void RemoveListenEndpoint(const std::string& endpoint) {
  if (absl::StartsWith(endpoint, kUnixScheme)) ::unlink(UnixPath(endpoint).c_str());
}

absl::Status CheckPrivateDir(const std::string& dir, const std::string& what) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return ErrnoToStatus(errno, absl::StrCat("stat ", what, " ", dir));
  const bool others_write = (st.st_mode & S_IWOTH) != 0;
  const bool group_write = (st.st_mode & S_IWGRP) != 0 && st.st_gid != 0;
  if (others_write || group_write || (st.st_uid != 0 && st.st_uid != ::geteuid())) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s %s is writable by other users (mode %04o, uid %d, gid %d): refusing to start; "
        "make it owned by root and not group- or world-writable (chmod go-w)",
        what, dir, st.st_mode & 07777, st.st_uid, st.st_gid));
  }
  return absl::OkStatus();
}

absl::Status PreparePrivateDirs(const std::string& root, const std::string& state, const std::string& /*log_file*/) {
  SILO_RETURN_IF_ERROR(Annotate(MakeDirs(root, 0711), "root dir"));
  SILO_RETURN_IF_ERROR(Annotate(MakeDirs(state, 0711), "state dir"));
  SILO_RETURN_IF_ERROR(CheckPrivateDir(root, "root dir"));
  return CheckPrivateDir(state, "state dir");
}

absl::Status LockRootDir(const std::string& root) {
  std::string path = root + "/silod.lock";
  // Deliberately leaked: the lock lives as long as the process.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("open ", path));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    char pid[32] = {};
    ssize_t n = ::pread(fd, pid, sizeof(pid) - 1, 0);
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "root ", root, " is in use by another silod", n > 0 ? absl::StrCat(" (pid ", pid, ")") : ""));
    }
    return ErrnoToStatus(err, absl::StrCat("lock ", path));
  }
  std::string me = std::to_string(::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, me.data(), me.size(), 0) < 0) {
    spdlog::warn("could not record pid in {}: {}", path, std::strerror(errno));
  }
  return absl::OkStatus();
}

}  // namespace silo::cri
