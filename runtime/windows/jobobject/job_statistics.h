#pragma once
// The counters of a job that the stats source turns into a container's or
// pod's statistics, read as hcsshim computes process-isolated (Argon) and
// job-container statistics: basic accounting (CPU times, page faults,
// process counts), the job's committed memory and limit, and each member
// process's private working set (NtQueryInformationProcess ProcessVmCounters
// into VM_COUNTERS_EX2, hcsshim's QueryPrivateWorkingSet). A process that
// exits between the listing and its query is left out, as hcsshim does.
// Win32 only, no Abseil (built by mingw).

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/base/windows/result.h"
#include "runtime/windows/jobobject/job_object.h"

namespace silo::runtime::windows::jobobject {

struct JobStatistics {
  uint64_t user_time_100ns = 0;
  uint64_t kernel_time_100ns = 0;
  uint64_t page_faults = 0;
  uint64_t active_processes = 0;
  uint64_t commit_bytes = 0;        // JobObjectMemoryUsageInformation; 0 where the OS lacks it
  uint64_t memory_limit_bytes = 0;  // 0: no job memory limit
  std::vector<uint64_t> private_working_sets;  // one per member process that could be read
};

Result<JobStatistics> ReadJobStatistics(const JobObject& job);
// Opens `name` (JobObject::Open: an object-manager path or a Win32 name)
// and reads it; HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) when it is gone.
Result<JobStatistics> ReadJobStatistics(const std::wstring& name);

}  // namespace silo::runtime::windows::jobobject
