#pragma once
// Job object information classes and structures that mingw-w64's winnt.h
// lacks (values from the Windows SDK documentation and hcsshim's
// internal/winapi/jobobject.go). Win32 only.

#include <windows.h>

#include <cstdint>

namespace silo::runtime::windows::jobobject {

// JOBOBJECTINFOCLASS values missing from mingw-w64 10.
inline constexpr int kJobObjectMemoryUsageInformation = 28;
inline constexpr int kJobObjectCreateSilo = 35;
inline constexpr int kJobObjectIoAttribution = 42;

// Class 28: committed memory of the whole job.
struct JobMemoryUsageInformation {
  uint64_t job_memory;
  uint64_t peak_job_memory_used;
};
static_assert(sizeof(JobMemoryUsageInformation) == 16);

// Class 42: IO attributed to the job (set ControlFlags = 1 to enable).
struct JobIoAttributionStats {
  ULONG_PTR io_count;
  uint64_t total_non_overlapped_queue_time;
  uint64_t total_non_overlapped_service_time;
  uint64_t total_size;
};
struct JobIoAttributionInformation {
  uint32_t control_flags;
  JobIoAttributionStats read_stats;
  JobIoAttributionStats write_stats;
};
static_assert(sizeof(JobIoAttributionInformation) == 72);

// IOCP message ids (winnt.h JOB_OBJECT_MSG_*), named here so the code reads
// the same with any header version.
inline constexpr DWORD kMsgEndOfJobTime = 1;
inline constexpr DWORD kMsgActiveProcessZero = 4;
inline constexpr DWORD kMsgNewProcess = 6;
inline constexpr DWORD kMsgExitProcess = 7;
inline constexpr DWORD kMsgAbnormalExitProcess = 8;
inline constexpr DWORD kMsgProcessMemoryLimit = 9;
inline constexpr DWORD kMsgJobMemoryLimit = 10;

}  // namespace silo::runtime::windows::jobobject
