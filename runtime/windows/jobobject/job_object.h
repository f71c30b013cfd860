#pragma once
// JobObject: a Win32 job object, the unit Silo uses for a pod's resource
// group (one named job per sandbox, "silo-pod-<id>") and for HostProcess
// containers (processes on the host grouped in a job). The thin wrapper
// layer: Win32 calls in, HRESULT-carrying results out (no Abseil), so it
// cross-compiles with mingw-w64 and its tests run under Wine.
//
// Limits follow hcsshim's job containers: job memory through the extended
// limit information (class 9), a CPU hard cap (rate 1..10000 = hundredths of
// a percent of all CPUs) or weight (1..9) through class 15, affinity,
// KILL_ON_JOB_CLOSE. Exit notifications come from an IO completion port the
// job is associated with: Next() returns NEW_PROCESS, EXIT_PROCESS,
// ACTIVE_PROCESS_ZERO ... with the pid.
//
// Thread safety: a JobObject may be used from several threads, except that
// Next() must have one caller at a time. Movable, not copyable; the handles
// close on destruction (which kills the job's processes when KILL_ON_JOB_CLOSE
// is set and this was the last handle).

#include <windows.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/base/windows/result.h"

namespace silo::runtime::windows::jobobject {

using silo::win32::HrStatus;
using silo::win32::Result;

struct JobLimits {
  uint64_t job_memory_bytes = 0;  // 0: no limit
  uint32_t cpu_rate = 0;          // 1..10000 hard cap; 0: none
  uint32_t cpu_weight = 0;        // 1..9; 0: none. Exclusive with cpu_rate.
  uint64_t affinity = 0;          // processor mask; 0: none
  bool kill_on_close = false;
};

struct JobAccounting {
  uint64_t user_time_100ns = 0;
  uint64_t kernel_time_100ns = 0;
  uint32_t page_faults = 0;
  uint32_t total_processes = 0;
  uint32_t active_processes = 0;
  uint32_t terminated_processes = 0;
};

struct JobMemory {
  uint64_t commit_bytes = 0;
  uint64_t peak_commit_bytes = 0;
};

enum class JobEvent { kNewProcess, kExitProcess, kAbnormalExit, kActiveProcessZero, kMemoryLimit, kOther };

struct JobNotification {
  JobEvent event = JobEvent::kOther;
  uint32_t message = 0;  // the raw JOB_OBJECT_MSG_* id
  uint32_t pid = 0;      // for process messages
};

class JobObject {
 public:
  // Creates a job; an empty name makes an anonymous one. A named job that
  // already exists is an error (HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS)), so
  // two pods can never share a job by accident. The job gets its own IO
  // completion port for Next().
  static Result<JobObject> Create(const std::wstring& name);
  // Opens an existing named job (recovery after a silod restart; HCS's
  // silo job of a container, SiloJobName in open_job.h, for its
  // statistics). A name starting with a backslash is an object-manager path and
  // is opened with NtOpenJobObject, any other through OpenJobObjectW
  // (open_job.h). Its notifications are not available (a job has one
  // completion port).
  static Result<JobObject> Open(const std::wstring& name);

  JobObject(JobObject&& other) noexcept;
  JobObject& operator=(JobObject&& other) noexcept;
  JobObject(const JobObject&) = delete;
  JobObject& operator=(const JobObject&) = delete;
  ~JobObject();

  // Validates then applies `limits`; E_INVALIDARG (naming the field) for
  // out-of-range values or both cpu_rate and cpu_weight.
  HrStatus SetLimits(const JobLimits& limits);
  HrStatus Assign(HANDLE process);
  // Kills every process in the job with `exit_code`.
  HrStatus Terminate(uint32_t exit_code);
  Result<std::vector<uint32_t>> Pids() const;
  Result<JobAccounting> Accounting() const;
  Result<JobMemory> Memory() const;
  // The next notification, or nullopt when `timeout` passes first.
  Result<std::optional<JobNotification>> Next(std::chrono::milliseconds timeout);

  HANDLE handle() const { return job_; }
  const std::wstring& name() const { return name_; }

 private:
  JobObject(HANDLE job, HANDLE port, std::wstring name) : job_(job), port_(port), name_(std::move(name)) {}
  void Close();

  HANDLE job_ = nullptr;
  HANDLE port_ = nullptr;  // null for an opened job
  std::wstring name_;
};

// HRESULT_FROM_WIN32 of GetLastError() with "<what>: <system message>".
HrStatus LastError(const std::string& what);

}  // namespace silo::runtime::windows::jobobject
