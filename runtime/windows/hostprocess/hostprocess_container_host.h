#pragma once
// HostProcessContainerHost: the ContainerHost of the "hostprocess" handler.
// A container is no compute system but processes on the host in the named
// job "silo-hpc-<id>" (HostProcessPlan, host_process.h), the way
// hcsshim's internal/jobcontainers runs them:
//   Create  the plan, the job (SYSTEM and Administrators only, owner
//           Administrators; a name that exists already is refused;
//           KILL_ON_JOB_CLOSE, hcsshim's
//           SetTerminateOnLastHandleClose; memory and CPU limits), then
//           either a silo with the rootfs and mounts bound in by the bind
//           filter, or directory links for the mount point and mounts;
//   Start   the logon (logon.h), the token's default environment merged
//           with the plan's, the process created suspended with stdio to
//           pipes pumped into the CRI log, assigned to the job, resumed;
//   Kill    SIGKILL terminates the whole job (exit code 1, as hcsshim's
//           Terminate); SIGTERM sends the main process CTRL_SHUTDOWN and
//           signal 2 CTRL_CLOSE, hcsshim's reading of that number (a
//           CtrlRoutine thread, as hcsshim's Signal with console options), leaving the grace period to the stop, whose
//           SIGKILL follows; where the event cannot be delivered, and for
//           other signals, the main process is terminated;
//   Exec    another process with the same token in the same job;
//   Remove  terminates what is left, closes the job, deletes the temporary
//           user and every link. Idempotent.
// The handle Create returns is the job's name. silod holds the only handle
// to each job, so, as with hcsshim's shim, its exit ends the containers
// (kill-on-close): after a restart State re-opens a job that something else
// still holds and reports a container whose job is gone as exited (255).
// It re-opens only the job silod's record names (the handle) and only when
// its owner is Administrators or SYSTEM: a job of that name someone else
// made is refused (AlreadyExists), never signalled or terminated.
// Thread-safe across containers; the manager serialises one container's calls.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/container/container_host.h"
#include "runtime/windows/hostprocess/process_api.h"

namespace silo::runtime::windows::hostprocess {

struct HostProcessContainerHostOptions {
  // Whether the host has the bind filter (WS2022+); the Windows wiring probes it.
  bool bind_filter_available = true;
  int host_cpus = 1;
};

// A container's statistics from its job, as hcsshim's PropertiesV2 reads
// them for job containers.
struct HostProcessStats {
  uint64_t cpu_usage_ns = 0;  // user + kernel time
  uint64_t memory_commit_bytes = 0;
  uint64_t peak_memory_commit_bytes = 0;
  uint32_t active_processes = 0;
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
};

inline constexpr int kUnknownExitCode = 255;

class HostProcessContainerHost : public container::ContainerHost {
 public:
  HostProcessContainerHost(const ProcessApi* api, HostProcessContainerHostOptions options);
  ~HostProcessContainerHost() override;

  absl::StatusOr<std::string> Create(const container::CreateSpec& spec) override;
  absl::Status Start(const std::string& id, const std::string& handle) override;
  absl::Status Kill(const std::string& id, const std::string& handle, int signal) override;
  absl::StatusOr<container::ProcessState> State(const std::string& id, const std::string& handle) override;
  absl::StatusOr<container::ProcessState> Wait(const std::string& id, const std::string& handle,
                                               std::chrono::milliseconds timeout) override;
  absl::StatusOr<container::ExecResult> Exec(const std::string& id, const std::string& handle,
                                             const std::vector<std::string>& args,
                                             std::chrono::milliseconds timeout) override;
  absl::Status ReopenLog(const std::string& id, const std::string& handle) override;
  absl::Status Remove(const std::string& id, const std::string& handle) override;
  absl::StatusOr<std::string> RuntimeSpec(const std::string& id) override;
  bool MonitorGone(const std::string& id, const std::string& handle) override;
  absl::Status KillUnmonitored(const std::string& id) override;

  absl::StatusOr<HostProcessStats> Stats(const std::string& id);

  struct Entry;

 private:
  std::shared_ptr<Entry> Find(const std::string& id);
  // The entry of `id`, re-opening its job after a restart; NotFound when
  // neither this host nor the system knows the job, or when `handle` (the
  // record's; "" for callers that have only the id) names another job;
  // AlreadyExists when the job is not silod's.
  absl::StatusOr<std::shared_ptr<Entry>> FindOrRecover(const std::string& id, const std::string& handle);
  void Release(Entry& entry);

  const ProcessApi* api_;
  HostProcessContainerHostOptions options_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
};

}  // namespace silo::runtime::windows::hostprocess
