#pragma once
// HostProcess containers: the portable half. A HostProcess container is not
// an HCS compute system but processes on the host grouped in a Job Object
// (runtime/windows/jobobject), the way hcsshim's job containers work. This
// file turns the CRI request into a plan the Win32 layer replays: the job's
// name and limits, where the rootfs appears, the expanded command line,
// working directory and environment, the logon account, and the mounts.
//
// Rules (hcsshim internal/jobcontainers, containerd buildWindowsSpec):
// - A pod is HostProcess all or none: a container whose flag differs from
//   its sandbox's is rejected (ValidateHostProcessPod).
// - The job is "silo-hpc-<id>" (hcsshim's "JobContainer_<id>" would meet
//   the jobs of a containerd on the same host), kill-on-close, promoted to a silo when
//   the bind filter exists (WS2022+): then the rootfs is bound at C:\hpc and
//   volumes appear at their real paths; without it (WS2019) the rootfs is
//   C:\hpc\<id> and volumes are symlinked below it. The
//   `microsoft.com/hostprocess-rootfs-location` annotation moves C:\hpc.
// - CONTAINER_SANDBOX_MOUNT_POINT is set in every process's environment,
//   with a trailing backslash (C:\hpc\), and "%CONTAINER_SANDBOX_MOUNT_POINT%"
//   / "$env:CONTAINER_SANDBOX_MOUNT_POINT" are expanded, without it, in the
//   arguments, environment values and working directory (default: the
//   mount point). Without the
//   bind filter a working directory that does not name the mount point is
//   taken as relative to it (C:\work -> C:\hpc\<id>\work).
// - Environment: the token's default block (CreateEnvironmentBlock) with the
//   container's variables over it and PATH extended by the mount point and
//   PowerShell's and WMI's directories; the Win32 side supplies the block,
//   MergeHostProcessEnvironment does the rest.
// - Users: NT AUTHORITY\SYSTEM, LOCAL SERVICE or NETWORK SERVICE log on as a
//   service; any other name without a domain is a local group (a temporary
//   user in it runs the process); other domains are rejected. The
//   `microsoft.com/hostprocess-inherit-user` annotation ("true") inherits
//   silod's own token; without it an empty user is rejected, as hcsshim does.
// - CPU: count -> hard cap count*10000/host_cpus (at least 1); maximum ->
//   hard cap as is; shares (0..10000) -> job weight 1 + 8*shares/10000; the
//   first one set wins, as for process-isolated containers. Memory -> job
//   memory limit.
//
// Pure functions; thread-safe.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace silo::runtime::windows {

inline constexpr char kHostProcessRootfsAnnotation[] = "microsoft.com/hostprocess-rootfs-location";
inline constexpr char kHostProcessInheritUserAnnotation[] = "microsoft.com/hostprocess-inherit-user";
inline constexpr char kHostProcessContainerAnnotation[] = "microsoft.com/hostprocess-container";
inline constexpr char kSandboxMountPointEnv[] = "CONTAINER_SANDBOX_MOUNT_POINT";

struct HostProcessMount {
  std::string host_path;       // e.g. "C:\\var\\lib\\kubelet\\pods\\...\\volumes\\config"
  std::string container_path;  // e.g. "C:\\etc\\config" or a relative "config"
  bool read_only = false;
};

struct HostProcessInput {
  std::string container_id;
  std::vector<std::string> args;  // argv after the image/CRI merge; args[0] is the program
  std::vector<std::pair<std::string, std::string>> env;
  std::string working_directory;  // "" = the mount point
  std::string user;               // run_as_username
  std::map<std::string, std::string> annotations;
  std::vector<HostProcessMount> mounts;
  bool bind_filter_available = true;
  // Windows resources from the CRI (0 = unset).
  int64_t cpu_count = 0;
  int64_t cpu_maximum = 0;  // 1..10000
  int64_t cpu_shares = 0;   // 0..10000
  int64_t memory_limit_bytes = 0;
  int host_cpus = 1;
};

enum class LogonKind { kInherit, kServiceAccount, kLocalGroup };

struct HostProcessPlan {
  std::string job_name;
  bool create_silo = false;
  std::string mount_point;  // no trailing backslash (the environment variable has one)
  std::string command_line;
  std::string working_directory;
  // The container's variables, not the whole environment: hcsshim starts
  // every process from the default block of its token and lays these over
  // it, else the process lacks SystemRoot, USERPROFILE, TEMP and PATH. The
  // executor calls CreateEnvironmentBlock(token, bInherit=FALSE, so silod's
  // own variables stay out) and hands the entries, with this plan, to
  // MergeHostProcessEnvironment.
  std::vector<std::pair<std::string, std::string>> env;
  bool merge_user_default_environment = true;
  // Appended to PATH after the merge, as hcsshim does: the mount point, so
  // programs at the image's root are found, then PowerShell's and WMI's
  // directories, which images built on other bases often leave out.
  std::vector<std::string> path_append;
  LogonKind logon = LogonKind::kInherit;
  std::string account;  // the service account or group; "" when inherited
  uint32_t cpu_rate = 0;
  uint32_t cpu_weight = 0;
  uint64_t job_memory_bytes = 0;
  struct Mount {
    std::string source;
    std::string target;    // absolute container-side path
    bool bind = false;     // bind-filter mapping; else a symlink
    bool read_only = false;
  };
  std::vector<Mount> mounts;
};

// The Win32 name (OpenJobObjectW, not an object-manager path) of the job a
// HostProcess container runs in: silod's own prefix, beside the pods'
// "silo-pod-", never hcsshim's "JobContainer_".
inline constexpr char kHostProcessJobPrefix[] = "silo-hpc-";
std::string HostProcessJobName(absl::string_view container_id);

// InvalidArgument when the pod mixes HostProcess and normal containers.
absl::Status ValidateHostProcessPod(bool sandbox_host_process, bool container_host_process);

// InvalidArgument (naming the field) for an empty id or argv, a bad user,
// out-of-range CPU values or a mount without paths.
absl::StatusOr<HostProcessPlan> PlanHostProcess(const HostProcessInput& input);

// The environment block for CreateProcess ("NAME=value" entries): the
// token's default entries (from CreateEnvironmentBlock) with plan.env over
// them when plan.merge_user_default_environment, names compared
// case-insensitively as Windows does; a name keeps its first position and
// takes its last value and spelling (hcsshim's dedupEnvCase). Then
// plan.path_append is added to PATH if there is one.
std::vector<std::string> MergeHostProcessEnvironment(const std::vector<std::string>& user_default,
                                                     const HostProcessPlan& plan);

// The plan as JSON, for golden tests and `verbose` ContainerStatus info.
nlohmann::json HostProcessPlanToJson(const HostProcessPlan& plan);
// The inverse, for the shim that replays the plan; InvalidArgument when a
// field is missing or of the wrong type.
absl::StatusOr<HostProcessPlan> HostProcessPlanFromJson(const nlohmann::json& json);

}  // namespace silo::runtime::windows
