// The process_* metrics as the Prometheus Go client exports them on Windows:
// CPU seconds, working set (resident) and private bytes (virtual), start
// time and handle count (Windows has handles, not file descriptors).
#include <windows.h>
#include <psapi.h>

#include "metrics/process_collector.h"
#include "metrics/process_family.h"

namespace silo::metrics {
namespace {

// FILETIME counts 100 ns intervals.
double Ticks(const FILETIME& t) {
  return static_cast<double>((static_cast<uint64_t>(t.dwHighDateTime) << 32) | t.dwLowDateTime);
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  HANDLE self = GetCurrentProcess();
  FILETIME created, exited, kernel, user;
  if (GetProcessTimes(self, &created, &exited, &kernel, &user)) {
    out.push_back(ProcessFamily("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                        (Ticks(kernel) + Ticks(user)) / 1e7, prometheus::MetricType::Counter));
    // From 1601-01-01 to the Unix epoch: 11644473600 s.
    out.push_back(ProcessFamily("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                        Ticks(created) / 1e7 - 11644473600.0));
  }
  PROCESS_MEMORY_COUNTERS_EX memory = {};
  if (K32GetProcessMemoryInfo(self, reinterpret_cast<PROCESS_MEMORY_COUNTERS*>(&memory), sizeof(memory))) {
    out.push_back(ProcessFamily("process_resident_memory_bytes", "Resident memory size in bytes.",
                        static_cast<double>(memory.WorkingSetSize)));
    out.push_back(ProcessFamily("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                        static_cast<double>(memory.PrivateUsage)));
  }
  DWORD handles = 0;
  if (GetProcessHandleCount(self, &handles)) {
    out.push_back(ProcessFamily("process_handles", "Number of open handles.", static_cast<double>(handles)));
  }
  return out;
}

}  // namespace silo::metrics
