#include "runtime/linux/pod_init.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <filesystem>
#include <functional>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"

namespace silo::runtime::linux_backend {
namespace {

void OnChild(int) {}

// PID 1 of the pod's namespace: reap whatever is reparented here, forever.
// Signals from outside other than SIGKILL are ignored by a namespace's init.
[[noreturn]] void RunInit() {
  ::prctl(PR_SET_NAME, "silo-pod-init");
  struct sigaction sa = {};
  sa.sa_handler = OnChild;
  ::sigaction(SIGCHLD, &sa, nullptr);
  sigset_t chld, waiting;
  ::sigemptyset(&chld);
  ::sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, &waiting);
  ::sigdelset(&waiting, SIGCHLD);
  for (;;) {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    ::sigsuspend(&waiting);
  }
}

// Closes every descriptor from 3 up except `a` and `b`.
void CloseAllBut(int a, int b) {
  const unsigned lo = static_cast<unsigned>(a < b ? a : b);
  const unsigned hi = static_cast<unsigned>(a < b ? b : a);
  if (lo > 3) ::close_range(3, lo - 1, 0);
  if (hi > lo + 1) ::close_range(lo + 1, hi - 1, 0);
  ::close_range(hi + 1, UINT_MAX, 0);
}

// The child of fork(): only system calls from here on (the caller is
// multi-threaded). Writes the init's pid, or -errno, to `report`. The init
// waits on `hold` for silod's go-ahead, sent once its record is durable: a
// silod killed before that closes the pipe, and the init, which no record
// names and so nothing would ever stop, exits.
[[noreturn]] void Spawn(int report, int hold) {
  ::setsid();
  int null_fd = ::open("/dev/null", O_RDWR);
  for (int fd = 0; fd < 3; ++fd) ::dup2(null_fd, fd);
  CloseAllBut(report, hold);
  pid_t result = -1;
  if (::unshare(CLONE_NEWPID) != 0) {
    result = -errno;
  } else {
    result = ::fork();
    if (result == 0) {
      ::close(report);
      char go = 0;
      ssize_t n;
      while ((n = ::read(hold, &go, 1)) < 0 && errno == EINTR) {
      }
      if (n != 1) ::_exit(0);
      ::close(hold);
      RunInit();
    }
    if (result < 0) result = -errno;
  }
  (void)!::write(report, &result, sizeof(result));
  ::_exit(0);
}

// Field 22 of /proc/<pid>/stat: the start time, unique per pid over time.
std::string StartTime(pid_t pid) {
  absl::StatusOr<std::string> stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return "";
  size_t close = stat->rfind(')');
  if (close == std::string::npos) return "";
  std::vector<std::string> fields = absl::StrSplit(stat->substr(close + 2), ' ');
  return fields.size() > 19 ? fields[19] : "";
}

std::string RecordPath(const std::string& dir) { return dir + "/pid-init"; }

absl::Status Unpin(const std::string& path) {
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return ErrnoToStatus(errno, absl::StrCat("unmount ", path));
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return ErrnoToStatus(errno, absl::StrCat("unlink ", path));
  return absl::OkStatus();
}

}  // namespace

absl::Status StartPodInit(const std::string& dir) { return internal::StartPodInit(dir, nullptr); }

namespace internal {

absl::Status StartPodInit(const std::string& dir, const std::function<void(pid_t)>& before_record) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return ErrnoToStatus(errno, "pipe for the pod init");
  int hold[2];
  if (::pipe2(hold, O_CLOEXEC) != 0) {
    int err = errno;
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    return ErrnoToStatus(err, "hold pipe for the pod init");
  }
  pid_t mid = ::fork();
  if (mid < 0) {
    int err = errno;
    for (int fd : {pipefd[0], pipefd[1], hold[0], hold[1]}) ::close(fd);
    return ErrnoToStatus(err, "fork the pod init");
  }
  if (mid == 0) {
    ::close(pipefd[0]);
    ::close(hold[1]);
    Spawn(pipefd[1], hold[0]);
  }
  ::close(pipefd[1]);
  ::close(hold[0]);
  pid_t init = 0;
  ssize_t n;
  while ((n = ::read(pipefd[0], &init, sizeof(init))) < 0 && errno == EINTR) {
  }
  ::close(pipefd[0]);
  while (::waitpid(mid, nullptr, 0) < 0 && errno == EINTR) {
  }
  absl::Status s = absl::OkStatus();
  if (n != sizeof(init)) {
    s = absl::InternalError("the pod init's starter died without a word");
  } else if (init < 0) {
    s = ErrnoToStatus(-init, "start the pod init in a new PID namespace");
  }
  if (s.ok() && before_record) before_record(init);
  if (s.ok()) s = AtomicWriteFile(RecordPath(dir), absl::StrCat(init, " ", StartTime(init), "\n"));
  const std::string pinned = PodPidNamespace(dir);
  if (s.ok()) s = AtomicWriteFile(pinned, "");
  if (s.ok() && ::mount(absl::StrCat("/proc/", init, "/ns/pid").c_str(), pinned.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    s = ErrnoToStatus(errno, absl::StrCat("pin the pod's PID namespace at ", pinned));
  }
  if (s.ok()) {
    const char go = 1;
    if (::write(hold[1], &go, 1) != 1) s = ErrnoToStatus(errno, "release the pod init");
  }
  // Closing without the go-ahead makes a waiting init exit by itself.
  ::close(hold[1]);
  if (!s.ok()) {
    if (init > 0) ::kill(init, SIGKILL);
    (void)StopPodInit(dir);
    return s;
  }
  return absl::OkStatus();
}

}  // namespace internal

absl::Status StopPodInit(const std::string& dir) {
  absl::StatusOr<std::string> record = ReadFile(RecordPath(dir));
  if (record.ok()) {
    std::vector<std::string> f = absl::StrSplit(*record, absl::ByAnyChar(" \n"), absl::SkipEmpty());
    pid_t pid = 0;
    if (f.size() == 2 && absl::SimpleAtoi(f[0], &pid) && pid > 1 && StartTime(pid) == f[1]) {
      if (::kill(pid, SIGKILL) != 0 && errno != ESRCH) {
        return ErrnoToStatus(errno, absl::StrCat("kill the pod init ", pid));
      }
    }
  } else if (!absl::IsNotFound(record.status())) {
    return record.status();
  }
  SILO_RETURN_IF_ERROR(Unpin(PodPidNamespace(dir)));
  if (::unlink(RecordPath(dir).c_str()) != 0 && errno != ENOENT) {
    return ErrnoToStatus(errno, absl::StrCat("unlink ", RecordPath(dir)));
  }
  // A silod killed inside StartPodInit can leave the temporary files of the
  // record or the pin (AtomicWriteFile's ".<name>.tmp.*"); they would keep
  // the pod's directory from being removed.
  const std::string pin_name = std::filesystem::path(PodPidNamespace(dir)).filename().string();
  const std::string record_name = std::filesystem::path(RecordPath(dir)).filename().string();
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!absl::StartsWith(name, absl::StrCat(".", pin_name, ".tmp.")) &&
        !absl::StartsWith(name, absl::StrCat(".", record_name, ".tmp."))) {
      continue;
    }
    SILO_RETURN_IF_ERROR(Unpin(it->path().string()));
  }
  return absl::OkStatus();
}

}  // namespace silo::runtime::linux_backend
