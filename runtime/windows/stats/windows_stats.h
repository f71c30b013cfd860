#pragma once
// Windows counters in portable form, and their mapping to CRI. The Windows
// backend fills the structs below from Win32 (QueryInformationJobObject, HCS
// GetProperties "Statistics", HNS endpoint stats); the math and the CRI
// mapping live here so they are unit-tested on Linux with recorded values.
//
//   Job Object  CPU = (user + kernel) 100 ns units; memory: committed bytes
//               of the job, working set = sum of the processes' private
//               working sets (the shared pages are not the container's);
//               page faults; active processes
//   HCS         for Hyper-V isolated containers, whose job is not reachable
//   HNS         per-endpoint bytes and dropped packets (parsed by
//               network/hns/endpoint_stats.h; windows_stats_source.h maps them)
//
// Thread safety: plain functions.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cri/api/cri.h"
#include "nlohmann/json.hpp"
#include "runtime/stats/stats_sampler.h"
#include "runtime/stats/stats_types.h"

namespace silo::runtime::windows {

// The stats port's names, as these conversions fill them.
using stats::ContainerStatsView;
using stats::GroupCounters;
using stats::MemoryCounters;
using stats::SandboxStatsView;
using stats::Snapshot;

// JOBOBJECT_BASIC_AND_IO_ACCOUNTING_INFORMATION plus the job's memory usage.
struct JobAccounting {
  uint64_t total_user_time_100ns = 0;
  uint64_t total_kernel_time_100ns = 0;
  uint64_t total_page_fault_count = 0;
  uint64_t active_processes = 0;
  uint64_t job_memory_bytes = 0;  // committed memory of the job (JobObjectMemoryUsageInformation)
  uint64_t job_memory_limit_bytes = 0;  // 0 = none
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
};

GroupCounters FromJobObject(const JobAccounting& job, const std::vector<uint64_t>& private_working_sets);

// The HCS "Statistics" property document (schema 2.x): Processor,
// Memory and Storage sections. InvalidArgument naming a missing section.
absl::StatusOr<GroupCounters> FromHcsStatistics(const nlohmann::json& statistics);

void ToCriWindowsContainerStats(const ContainerStatsView& view, ::runtime::v1::WindowsContainerStats* out);
// Pod totals are summed from containers: no available_bytes, as containerd.
void ToCriWindowsPodSandboxStats(const SandboxStatsView& view, ::runtime::v1::WindowsPodSandboxStats* out);

}  // namespace silo::runtime::windows
