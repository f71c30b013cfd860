#pragma once
// HostProcessContainerHost: the ContainerHost of the "hostprocess" handler.
// A container is no compute system but processes on the host in the named
// job "silo-hpc-<id>" (HostProcessPlan, host_process.h), the way hcsshim's
// internal/jobcontainers runs them, held by the container's own
// silo-shim.exe in its HostProcess mode (hostprocess_monitor.h), as
// containerd-shim-runhcs-v1 holds a job container: silod itself keeps no
// lasting handle, so a silod restart leaves the containers running.
//   Create  the plan, written with the rootfs to the private state_dir ->
//           ShimPort::Launch: the shim creates the job (a name that exists
//           already is refused: AlreadyExists), its limits, the silo and
//           binds or the links; nothing is left when a step fails
//   Start, Kill, State, Wait, Exec (ExecSync, output captured by the
//           shim), ReopenLog: one framed-protocol request to the shim each
//   Remove  `shutdown` (the shim ends the job, logs off, removes the links
//           and exits, closing the job's last handle); when the shim is
//           gone, what it may have left (a job someone else still holds, a
//           temporary user, links) is removed from the kept plan
//   Stats   from the job, opened for the query only
// Restarts: the shims outlive silod; a restarted silod talks to them
// again. When a shim is gone as well, its job went with it (kill-on-close)
// and the exit record it wrote (<id>.exit) gives the exit code, else 255.
// A job is only ever opened by the name silod's record gives and when its
// owner is Administrators or SYSTEM: a job of that name someone else made is
// never signalled or terminated.
// The handle Create returns is the job's name.
// Thread-safe; the manager serialises one container's calls.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/container/container_host.h"
#include "runtime/shim/core/protocol_codec.h"
#include "runtime/windows/host_process.h"
#include "runtime/windows/hostprocess/process_api.h"
#include "runtime/windows/shim/shim_port.h"

namespace silo::runtime::windows::hostprocess {

struct HostProcessContainerHostOptions {
  // Whether the host has the bind filter (WS2022+); the Windows wiring probes it.
  bool bind_filter_available = true;
  int host_cpus = 1;
  // Required: each container's launch description, the shim's exit record
  // and diagnostics live here (<id>.hostprocess.json, <id>.exit, <id>.shim.log).
  std::string state_dir;
  // Required: launches and reaches the per-container silo-shim.exe (the
  // same port as the HCS containers').
  std::shared_ptr<shim::ShimPort> shims;
  std::chrono::milliseconds call_timeout{std::chrono::minutes(1)};
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
  absl::StatusOr<std::optional<container::ProcessState>> RecordedExit(const std::string& id) override;
  // The containers with a kept launch description (<id>.hostprocess.json):
  // a shim may serve each.
  absl::StatusOr<std::vector<std::string>> ListHostContainers() override;

  absl::StatusOr<HostProcessStats> Stats(const std::string& id);

 private:
  std::string FilePath(const std::string& id, const char* suffix) const;
  shim::ShimPort::Deadline CallDeadline() const;
  // One request to the container's shim; the response's own failure is
  // returned as a status too. `gone`, when given, says whether no shim
  // serves the container.
  absl::StatusOr<runtime::shim::Response> CallShim(const std::string& id, const runtime::shim::Request& request,
                                                   shim::ShimPort::Deadline deadline, bool* gone = nullptr);
  // The container's state once its shim is gone: the recorded exit, else 255.
  container::ProcessState ExitAfterShim(const std::string& id) const;
  // The kept plan; NotFound without one.
  absl::StatusOr<HostProcessPlan> KeptPlan(const std::string& id) const;
  // The job of `id` opened by silod for one call (owner checked); NotFound
  // when there is none, AlreadyExists when it is not silod's. Close it.
  absl::StatusOr<void*> OpenOwnJob(const std::string& id, const std::string& handle);
  // What a dead shim may have left: the job's processes (someone else
  // still holds it), the temporary user, the links.
  void CleanUpAfterShim(const std::string& id, const std::string& handle);

  const ProcessApi* api_;
  HostProcessContainerHostOptions options_;
};

}  // namespace silo::runtime::windows::hostprocess
