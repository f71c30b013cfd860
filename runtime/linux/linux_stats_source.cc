#include "runtime/linux/linux_stats_source.h"

#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"
#include "runtime/base/mutex.h"
#include "runtime/base/status_macros.h"
#include "runtime/linux/net_dev.h"

namespace silo::runtime::linux_backend {
namespace {

// nftw has no user pointer; one walk at a time.
silo::Mutex walk_mu;
std::set<std::pair<dev_t, ino_t>>* walk_seen = nullptr;
uint64_t walk_bytes = 0;
uint64_t walk_inodes = 0;

int CountEntry(const char*, const struct stat* st, int type, struct FTW*) {
  if (type == FTW_NS) return 0;  // vanished or unreadable: skip, the layer is live
  if (st->st_nlink > 1 && !S_ISDIR(st->st_mode) && !walk_seen->insert({st->st_dev, st->st_ino}).second) return 0;
  walk_bytes += static_cast<uint64_t>(st->st_blocks) * 512;
  walk_inodes += 1;
  return 0;
}

int64_t WallNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string LinuxStatsSource::ContainerGroup(const model::SandboxRecord& sandbox,
                                             const std::string& container_id) const {
  if (sandbox.cgroup_path.empty()) return "";
  return absl::StrCat(sandbox.cgroup_path, "/", container_id);
}

absl::StatusOr<std::vector<InterfaceCounters>> LinuxStatsSource::ReadNetwork(const std::string& netns) {
  SILO_ASSIGN_OR_RETURN(std::string text, ReadNetDevIn(netns));
  return ParseNetDev(text);
}

absl::StatusOr<FsUsage> LinuxStatsSource::ReadWritableLayer(const std::string& container_id) {
  return DirectoryUsage(absl::StrCat(containers_root_, "/", container_id, "/upper"));
}

absl::StatusOr<std::string> ReadNetDevIn(const std::string& netns_path) {
  int fd = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("open netns ", netns_path));
  absl::StatusOr<std::string> result = absl::InternalError("unreachable");
  // A thread of its own: it enters the namespace and dies with it, so no
  // thread of silod is ever left in a pod's namespace.
  std::thread reader([&] {
    if (::setns(fd, CLONE_NEWNET) != 0) {
      result = ErrnoToStatus(errno, absl::StrCat("setns into ", netns_path));
      return;
    }
    // thread-self: /proc/self/net is the namespace of the main thread.
    result = ReadFile("/proc/thread-self/net/dev");
  });
  reader.join();
  ::close(fd);
  return result;
}

absl::StatusOr<FsUsage> DirectoryUsage(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return ErrnoToStatus(errno, absl::StrCat("stat writable layer ", dir));
  silo::MutexLock lock(&walk_mu);
  std::set<std::pair<dev_t, ino_t>> seen;
  walk_seen = &seen;
  walk_bytes = 0;
  walk_inodes = 0;
  int rc = ::nftw(dir.c_str(), CountEntry, 32, FTW_PHYS | FTW_MOUNT);
  int err = errno;
  walk_seen = nullptr;
  if (rc != 0) return ErrnoToStatus(err, absl::StrCat("walk writable layer ", dir));
  FsUsage u;
  u.mountpoint = dir;
  u.used_bytes = walk_bytes;
  u.inodes_used = walk_inodes;
  u.timestamp_ns = WallNs();
  return u;
}

}  // namespace silo::runtime::linux_backend
