#include "network/netns/pinned_namespaces.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"

namespace silo::network::netns {
namespace {

constexpr long kNsfsMagic = 0x6e736673;  // NSFS_MAGIC

absl::Status ValidateName(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("invalid pinned namespace name \"", name, "\""));
  }
  return absl::OkStatus();
}

absl::Status BringLoopbackUp() {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoToStatus(errno, "socket for lo");
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof(ifr));
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  absl::Status s;
  if (::ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
    s = ErrnoToStatus(errno, "SIOCGIFFLAGS lo");
  } else {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (::ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) s = ErrnoToStatus(errno, "SIOCSIFFLAGS lo");
  }
  ::close(fd);
  return s;
}

absl::Status CreateEmptyFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("create ", path));
  ::close(fd);
  return absl::OkStatus();
}

absl::Status BindNamespace(const char* kind, const std::string& target) {
  std::string source = absl::StrCat("/proc/thread-self/ns/", kind);
  if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return ErrnoToStatus(errno, absl::StrCat("bind-mount ", source, " on ", target));
  }
  return absl::OkStatus();
}

// Runs on a fresh thread: unshare affects only the calling task, so the
// namespaces it makes are never the daemon's own; the bind mounts land in the
// shared mount namespace, so they outlive the thread.
absl::Status PinOnThisThread(const PinRequest& request, const PinnedPaths& paths) {
  int flags = (request.net ? CLONE_NEWNET : 0) | (request.ipc ? CLONE_NEWIPC : 0) |
              (request.uts ? CLONE_NEWUTS : 0);
  if (::unshare(flags) != 0) return ErrnoToStatus(errno, "unshare pod namespaces");
  if (request.uts) {
    if (!request.hostname.empty() &&
        ::sethostname(request.hostname.data(), request.hostname.size()) != 0) {
      return ErrnoToStatus(errno, absl::StrCat("sethostname ", request.hostname));
    }
    SILO_RETURN_IF_ERROR(BindNamespace("uts", paths.uts));
  }
  if (request.ipc) SILO_RETURN_IF_ERROR(BindNamespace("ipc", paths.ipc));
  if (request.net) {
    SILO_RETURN_IF_ERROR(BringLoopbackUp());
    SILO_RETURN_IF_ERROR(BindNamespace("net", paths.net));
  }
  return absl::OkStatus();
}

}  // namespace

PinnedPaths PathsFor(const std::string& dir, const std::string& name) {
  std::string base = absl::StrCat(dir, "/", name);
  return PinnedPaths{base + "/net", base + "/ipc", base + "/uts"};
}

absl::StatusOr<PinnedPaths> CreatePinned(const std::string& dir, const std::string& name,
                                         const PinRequest& request) {
  SILO_RETURN_IF_ERROR(ValidateName(name));
  SILO_RETURN_IF_ERROR(MakeDirs(dir, 0711));
  std::string base = absl::StrCat(dir, "/", name);
  if (::mkdir(base.c_str(), 0711) != 0) return ErrnoToStatus(errno, absl::StrCat("mkdir ", base));

  PinnedPaths all = PathsFor(dir, name);
  PinnedPaths paths;
  if (request.net) paths.net = all.net;
  if (request.ipc) paths.ipc = all.ipc;
  if (request.uts) paths.uts = all.uts;

  absl::Status s;
  for (const std::string* p : {&paths.net, &paths.ipc, &paths.uts}) {
    if (!p->empty() && s.ok()) s = CreateEmptyFile(*p);
  }
  if (s.ok()) {
    std::thread worker([&] { s = PinOnThisThread(request, paths); });
    worker.join();
  }
  if (!s.ok()) {
    (void)RemovePinned(dir, name);
    return Annotate(s, absl::StrCat("pin namespaces ", base));
  }
  return paths;
}

bool IsPinned(const std::string& path) {
  struct statfs fs;
  return ::statfs(path.c_str(), &fs) == 0 && static_cast<long>(fs.f_type) == kNsfsMagic;
}

absl::Status RemovePinnedFile(const std::string& path) {
  // EINVAL: not a mount point (never mounted or already unmounted).
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return ErrnoToStatus(errno, absl::StrCat("unmount ", path));
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoToStatus(errno, absl::StrCat("unlink ", path));
  }
  return absl::OkStatus();
}

absl::Status RemovePinned(const std::string& dir, const std::string& name) {
  SILO_RETURN_IF_ERROR(ValidateName(name));
  PinnedPaths paths = PathsFor(dir, name);
  absl::Status first;
  for (const std::string* p : {&paths.net, &paths.ipc, &paths.uts}) {
    absl::Status s = RemovePinnedFile(*p);
    if (!s.ok() && first.ok()) first = s;
  }
  if (!first.ok()) return first;
  std::string base = absl::StrCat(dir, "/", name);
  if (::rmdir(base.c_str()) != 0 && errno != ENOENT) {
    return ErrnoToStatus(errno, absl::StrCat("rmdir ", base));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ListPinned(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) return names;
    return ErrnoToStatus(ec.value(), absl::StrCat("list ", dir));
  }
  for (const auto& entry : it) {
    if (entry.is_directory(ec)) names.push_back(entry.path().filename().string());
  }
  return names;
}

}  // namespace silo::network::netns
