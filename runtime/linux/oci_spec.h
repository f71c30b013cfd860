#pragma once
// Builds OCI runtime spec documents (config.json for a bundle, process.json
// for `runc exec`) from plain structs. Pure apart from ReadOwnOomScoreAdj();
// thread-safe.
//
// oom_score_adj: the kernel refuses to lower a process's oom_score_adj
// without CAP_SYS_RESOURCE in the initial user namespace, and runc then fails
// with "can't get final child's PID from pipe: EOF". Requested values are
// therefore clamped to at least the caller-supplied floor (the daemon's own
// value), as containerd's restrict_oom_score_adj does.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace silo::runtime::linux_backend {

struct OciUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;
};

struct OciProcess {
  std::vector<std::string> args;  // required, args[0] is the program
  std::vector<std::string> env;   // "KEY=value"
  std::string cwd = "/";
  OciUser user;
  bool terminal = false;
  bool no_new_privileges = true;
  // Capability names with or without the CAP_ prefix, any case.
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;  // "ALL" drops the whole default set
  std::optional<int> oom_score_adj;
};

struct OciMount {
  std::string destination;
  std::string type;  // "bind" for bind mounts
  std::string source;
  std::vector<std::string> options;
};

// One namespace: new when `path` is empty, else joined from `path` (a pinned
// namespace file such as /run/netns/x or /proc/<pid>/ns/net).
struct OciNamespace {
  std::string type;  // pid, mount, ipc, uts, network, cgroup, user
  std::string path;
};

struct OciResources {
  std::optional<uint64_t> cpu_shares;
  std::optional<int64_t> cpu_quota;
  std::optional<uint64_t> cpu_period;
  std::string cpuset_cpus;
  std::string cpuset_mems;
  std::optional<int64_t> memory_limit_bytes;
  std::optional<int64_t> memory_swap_bytes;  // memory + swap, as OCI's memory.swap
  std::optional<int64_t> pids_limit;
  std::map<std::string, uint64_t> hugepage_limits;  // page size ("2MB") -> bytes
  std::map<std::string, std::string> unified;       // cgroup v2 file -> value
};

// A device node the runtime creates in the container's /dev.
struct OciDevice {
  std::string path;  // in the container
  char type = 'c';   // 'c' or 'b'
  int64_t major = 0;
  int64_t minor = 0;
  uint32_t file_mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  // The cgroup access this device is allowed ("rwm"); empty adds no rule
  // (privileged containers are allowed every device anyway).
  std::string access = {};
};

struct OciSpecInput {
  OciProcess process;
  std::string rootfs;  // absolute path
  bool readonly_rootfs = false;
  std::string hostname;
  std::string rootfs_propagation;  // linux.rootfsPropagation; empty: runc's default
  // Added after the default mounts; one with the same destination replaces
  // the default.
  std::vector<OciMount> mounts;
  // Default: new pid, mount, ipc, uts and network namespaces.
  std::vector<OciNamespace> namespaces = DefaultNamespaces();
  std::string cgroups_path;  // empty: runc's default
  OciResources resources;
  // Masked and read-only paths: when `masked_paths`, each list, or the
  // runtime's default list where it is empty; none at all otherwise.
  bool masked_paths = true;
  std::vector<std::string> masked_path_list;
  std::vector<std::string> readonly_path_list;
  // Privileged: /sys read-write, every device allowed in the cgroup, and
  // `devices` created (the caller lists the host's); capabilities and
  // masked_paths are the caller's to set.
  bool privileged = false;
  std::vector<OciDevice> devices;
  std::map<std::string, std::string> sysctls;  // linux.sysctl
  // linux.seccomp as written (seccomp_default.h); null = none.
  nlohmann::json seccomp;

  static std::vector<OciNamespace> DefaultNamespaces();
};

// runc's default capability set (`runc spec`, containerd's defaults), as
// "CAP_*" names.
const std::vector<std::string>& DefaultCapabilities();

// The capabilities in this process's bounding set (/proc/self/status
// CapBnd), as "CAP_*" names: what a privileged container can be given
// (the daemon may lack some, e.g. CAP_SYS_RESOURCE on a restricted node).
absl::StatusOr<std::vector<std::string>> BoundingCapabilities();

// Names for the set bits of a capability mask (bit n = capability n).
std::vector<std::string> CapabilityNames(uint64_t mask);

// The runtime's default masked and read-only paths (runc's and containerd's).
const std::vector<std::string>& DefaultMaskedPaths();
const std::vector<std::string>& DefaultReadonlyPaths();

// The default mounts: /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys,
// /sys/fs/cgroup.
std::vector<OciMount> DefaultMounts();

// The effective capability list: defaults (or none after drop ALL), minus
// drops, plus adds, normalised to "CAP_*". InvalidArgument for unknown names.
absl::StatusOr<std::vector<std::string>> EffectiveCapabilities(const std::vector<std::string>& add,
                                                              const std::vector<std::string>& drop);

// The "process" object. `oom_score_adj_floor` clamps process.oom_score_adj.
absl::StatusOr<nlohmann::json> BuildOciProcess(const OciProcess& process, int oom_score_adj_floor);

// The linux.resources object without devices: also the document
// `runc update --resources` reads.
nlohmann::json BuildOciResources(const OciResources& resources);

// A whole config.json document.
absl::StatusOr<nlohmann::json> BuildOciSpec(const OciSpecInput& input, int oom_score_adj_floor);

// This process's /proc/self/oom_score_adj.
absl::StatusOr<int> ReadOwnOomScoreAdj();

}  // namespace silo::runtime::linux_backend
