#include "runtime/linux/seccomp_default.h"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"
#include "runtime/base/mutex.h"
#include "runtime/base/status_macros.h"
#include "runtime/linux/runc.h"

namespace silo::runtime::linux_backend {
namespace {

using nlohmann::json;

// Grouped by purpose; names the kernel does not have on an architecture
// are skipped by libseccomp/runc.
constexpr const char* kAllowed[] = {
    // files and descriptors
    "access", "chdir", "chmod", "chown", "chown32", "close", "close_range", "copy_file_range", "creat", "dup",
    "dup2", "dup3", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fchdir", "fchmod",
    "fchmodat", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr",
    "flock", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync",
    "ftruncate", "ftruncate64", "getcwd", "getdents", "getdents64", "getxattr", "inotify_add_watch",
    "inotify_init", "inotify_init1", "inotify_rm_watch", "lchown", "lchown32", "lgetxattr", "link", "linkat",
    "listxattr", "llistxattr", "lremovexattr", "lseek", "_llseek", "lsetxattr", "lstat", "lstat64", "mkdir",
    "mkdirat", "mknod", "mknodat", "newfstatat", "open", "openat", "openat2", "pipe", "pipe2", "pread64",
    "preadv", "preadv2", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat",
    "readv", "removexattr", "rename", "renameat", "renameat2", "rmdir", "sendfile", "sendfile64", "setxattr",
    "splice", "stat", "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range",
    "syncfs", "tee", "truncate", "truncate64", "umask", "unlink", "unlinkat", "utime", "utimensat",
    "utimensat_time64", "utimes", "vmsplice", "write", "writev", "memfd_create", "fanotify_mark", "chroot",
    // polling and events
    "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait",
    "epoll_wait_old", "eventfd", "eventfd2", "poll", "ppoll", "ppoll_time64", "pselect6", "pselect6_time64",
    "select", "_newselect", "signalfd", "signalfd4", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
    "timerfd_settime", "timerfd_settime64", "io_cancel", "io_destroy", "io_getevents", "io_pgetevents",
    "io_pgetevents_time64", "io_setup", "io_submit", "io_uring_enter", "io_uring_register", "io_uring_setup",
    "ioctl",
    // memory
    "brk", "madvise", "membarrier", "mincore", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect",
    "mremap", "msync", "munlock", "munlockall", "munmap", "pkey_alloc", "pkey_free", "pkey_mprotect",
    "get_mempolicy", "set_mempolicy", "mbind", "remap_file_pages",
    // processes, threads and signals
    "arch_prctl", "capget", "capset", "execve", "execveat", "exit", "exit_group", "fork", "vfork", "futex",
    "futex_time64", "futex_waitv", "get_robust_list", "set_robust_list", "getpgid", "getpgrp", "getpid",
    "getppid", "getpriority", "getrlimit", "getrusage", "getsid", "gettid", "kill", "tkill", "tgkill", "pause",
    "prctl", "prlimit64", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
    "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
    "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
    "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
    "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "setpgid", "setpriority",
    "setrlimit", "setsid", "set_tid_address", "set_thread_area", "sigaltstack", "sigreturn", "sigaction",
    "signal", "sigpending", "sigprocmask", "sigsuspend", "wait4", "waitid", "waitpid", "ugetrlimit",
    "pidfd_open", "pidfd_send_signal", "pidfd_getfd", "process_mrelease", "restart_syscall", "ioprio_get",
    "ioprio_set", "uname", "sysinfo", "getrandom",
    // users and groups (the container's own, within its capabilities)
    "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32",
    "getresgid", "getresgid32", "getresuid", "getresuid32", "getuid", "getuid32", "setfsgid", "setfsgid32",
    "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setregid", "setregid32",
    "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32", "setuid", "setuid32",
    // time (reading only)
    "alarm", "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
    "clock_nanosleep_time64", "getitimer", "gettimeofday", "nanosleep", "setitimer", "time", "timer_create",
    "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
    "times",
    // sockets
    "accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt", "listen", "recv",
    "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "send", "sendmmsg", "sendmsg", "sendto", "setsockopt",
    "shutdown", "socket", "socketcall", "socketpair",
    // System V and POSIX IPC (namespaced)
    "ipc", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64",
    "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "msgctl", "msgget", "msgrcv", "msgsnd", "semctl",
    "semget", "semop", "semtimedop", "semtimedop_time64", "shmat", "shmctl", "shmdt", "shmget",
    // architecture helpers
    "arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls",
    "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self",
};

// Namespace flags clone may not carry (CLONE_NEWNS | CLONE_NEWCGROUP |
// CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET).
constexpr uint64_t kCloneNamespaceFlags = 0x7E020000;

// Docker's capability-conditional rules: what a container may call once it
// holds the capability (the capability check then happens in the kernel).
struct CapabilityRule {
  const char* capability;
  std::vector<const char*> syscalls;
};
const std::vector<CapabilityRule>& CapabilityRules() {
  static const auto* rules = new std::vector<CapabilityRule>{
      {"CAP_SYS_ADMIN",
       {"bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick", "lookup_dcookie",
        "mount", "mount_setattr", "move_mount", "name_to_handle_at", "open_tree", "perf_event_open", "quotactl",
        "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount", "umount2", "unshare"}},
      {"CAP_SYS_BOOT", {"reboot"}},
      {"CAP_SYS_MODULE", {"delete_module", "init_module", "finit_module"}},
      {"CAP_SYS_PACCT", {"acct"}},
      {"CAP_SYS_PTRACE", {"kcmp", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"}},
      {"CAP_SYS_RAWIO", {"iopl", "ioperm"}},
      {"CAP_SYS_TIME",
       {"settimeofday", "stime", "clock_settime", "clock_settime64", "adjtimex", "clock_adjtime", "clock_adjtime64"}},
      {"CAP_SYS_TTY_CONFIG", {"vhangup"}},
      {"CAP_SYSLOG", {"syslog"}},
      {"CAP_BPF", {"bpf"}},
      {"CAP_PERFMON", {"perf_event_open"}},
      {"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}},
  };
  return *rules;
}

bool Holds(const std::vector<std::string>& capabilities, const char* cap) {
  return std::find(capabilities.begin(), capabilities.end(), cap) != capabilities.end();
}

json BuildProfile(const std::vector<std::string>& capabilities) {
  json allowed = json::array();
  for (const char* name : kAllowed) allowed.push_back(name);
  // One rule per syscall name: libseccomp refuses two actions for one.
  std::set<std::string> granted;
  for (const CapabilityRule& rule : CapabilityRules()) {
    if (!Holds(capabilities, rule.capability)) continue;
    for (const char* name : rule.syscalls) {
      if (granted.insert(name).second) allowed.push_back(name);
    }
  }
  json syscalls = json::array();
  syscalls.push_back({{"names", allowed}, {"action", "SCMP_ACT_ALLOW"}});
  if (!granted.contains("clone")) {
    // The flags are the first argument on x86 and arm (s390 swaps them;
    // not a target here).
    syscalls.push_back(
        {{"names", {"clone"}},
         {"action", "SCMP_ACT_ALLOW"},
         {"args", {{{"index", 0}, {"value", kCloneNamespaceFlags}, {"valueTwo", 0}, {"op", "SCMP_CMP_MASKED_EQ"}}}}});
  }
  if (!granted.contains("clone3")) {
    syscalls.push_back({{"names", {"clone3"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 38}});  // ENOSYS
  }
  // personality: only the harmless personas (Linux, 32-bit, query).
  for (uint64_t persona : {0x0ull, 0x8ull, 0x20000ull, 0x20008ull, 0xffffffffull}) {
    syscalls.push_back({{"names", {"personality"}},
                        {"action", "SCMP_ACT_ALLOW"},
                        {"args", {{{"index", 0}, {"value", persona}, {"op", "SCMP_CMP_EQ"}}}}});
  }
  return {{"defaultAction", "SCMP_ACT_ERRNO"},
          {"defaultErrnoRet", 1},  // EPERM
          {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64",
                             "SCMP_ARCH_ARM"}},
          {"syscalls", syscalls}};
}

bool ProbeRuntime(const std::string& runc_binary) {
  Runc runc(runc_binary, "/run/silo-runc-probe");
  auto features = runc.Run({"features"}, nullptr);
  if (features.ok() && features->exit_code == 0) {
    json doc = json::parse(features->out, nullptr, /*allow_exceptions=*/false);
    if (doc.is_object() && doc.contains("linux") && doc["linux"].is_object() &&
        doc["linux"].contains("seccomp") && doc["linux"]["seccomp"].is_object()) {
      return doc["linux"]["seccomp"].value("enabled", false);
    }
  }
  auto version = runc.Run({"--version"}, nullptr);
  return version.ok() && version->exit_code == 0 && absl::StrContains(version->out, "libseccomp");
}

}  // namespace

const nlohmann::json& DefaultSeccompProfile() {
  static const json* profile = new json(BuildProfile({}));
  return *profile;
}

nlohmann::json DefaultSeccompProfileFor(const std::vector<std::string>& capabilities) {
  return BuildProfile(capabilities);
}

absl::StatusOr<nlohmann::json> LoadSeccompProfile(const std::string& path) {
  SILO_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("defaultAction") || !doc["defaultAction"].is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("seccomp profile ", path, " is not a JSON object with a defaultAction"));
  }
  return doc;
}

bool RuntimeSupportsSeccomp(const std::string& runc_binary) {
  static auto* mu = new silo::Mutex();
  static auto* cache = new std::map<std::string, bool>();
  silo::MutexLock lock(mu);
  auto it = cache->find(runc_binary);
  if (it != cache->end()) return it->second;
  bool supported = ProbeRuntime(runc_binary);
  (*cache)[runc_binary] = supported;
  return supported;
}

}  // namespace silo::runtime::linux_backend
