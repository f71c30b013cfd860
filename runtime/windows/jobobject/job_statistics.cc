#include "runtime/windows/jobobject/job_statistics.h"

#include <windows.h>

#include "runtime/base/windows/wide.h"

namespace silo::runtime::windows::jobobject {
namespace {

constexpr ULONG kProcessVmCounters = 3;  // PROCESSINFOCLASS ProcessVmCounters

// VM_COUNTERS_EX2 (x64): VM_COUNTERS_EX, then PrivateWorkingSetSize and
// SharedCommitUsage. Named here: mingw-w64's headers lack it.
struct VmCountersEx2 {
  SIZE_T peak_virtual_size;
  SIZE_T virtual_size;
  ULONG page_fault_count;
  SIZE_T peak_working_set_size;
  SIZE_T working_set_size;
  SIZE_T quota_peak_paged_pool_usage;
  SIZE_T quota_paged_pool_usage;
  SIZE_T quota_peak_non_paged_pool_usage;
  SIZE_T quota_non_paged_pool_usage;
  SIZE_T pagefile_usage;
  SIZE_T peak_pagefile_usage;
  SIZE_T private_usage;
  SIZE_T private_working_set_size;
  ULONGLONG shared_commit_usage;
};
static_assert(sizeof(VmCountersEx2) == 112);

using NtQueryInformationProcessFn = LONG(WINAPI*)(HANDLE, ULONG, PVOID, ULONG, PULONG);

NtQueryInformationProcessFn QueryProcess() {
  static const NtQueryInformationProcessFn fn = [] {
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    return ntdll == nullptr ? nullptr
                            : reinterpret_cast<NtQueryInformationProcessFn>(
                                  reinterpret_cast<void*>(GetProcAddress(ntdll, "NtQueryInformationProcess")));
  }();
  return fn;
}

// The private working set of `pid`; false when it cannot be read (gone, or
// the OS lacks VM_COUNTERS_EX2).
bool PrivateWorkingSet(uint32_t pid, uint64_t* bytes) {
  NtQueryInformationProcessFn query = QueryProcess();
  if (query == nullptr) return false;
  HANDLE process = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (process == nullptr) return false;
  VmCountersEx2 counters = {};
  const LONG status = query(process, kProcessVmCounters, &counters, sizeof(counters), nullptr);
  CloseHandle(process);
  if (status < 0) return false;
  *bytes = counters.private_working_set_size;
  return true;
}

}  // namespace

Result<JobStatistics> ReadJobStatistics(const JobObject& job) {
  Result<JobAccounting> accounting = job.Accounting();
  if (!accounting.ok()) return accounting.status();
  Result<JobMemory> memory = job.Memory();
  if (!memory.ok()) return memory.status();
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits = {};
  if (!QueryInformationJobObject(job.handle(), JobObjectExtendedLimitInformation, &limits, sizeof(limits), nullptr)) {
    return LastError("querying the limits of job object \"" + win32::WideToUtf8(job.name()) + "\"");
  }
  Result<std::vector<uint32_t>> pids = job.Pids();
  if (!pids.ok()) return pids.status();

  JobStatistics s;
  s.user_time_100ns = accounting->user_time_100ns;
  s.kernel_time_100ns = accounting->kernel_time_100ns;
  s.page_faults = accounting->page_faults;
  s.active_processes = accounting->active_processes;
  s.commit_bytes = memory->commit_bytes;
  if (limits.BasicLimitInformation.LimitFlags & JOB_OBJECT_LIMIT_JOB_MEMORY) {
    s.memory_limit_bytes = static_cast<uint64_t>(limits.JobMemoryLimit);
  }
  for (uint32_t pid : *pids) {
    uint64_t bytes = 0;
    if (PrivateWorkingSet(pid, &bytes)) s.private_working_sets.push_back(bytes);
  }
  return s;
}

Result<JobStatistics> ReadJobStatistics(const std::wstring& name) {
  Result<JobObject> job = JobObject::Open(name);
  if (!job.ok()) return job.status();
  return ReadJobStatistics(*job);
}

}  // namespace silo::runtime::windows::jobobject
