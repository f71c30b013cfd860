#pragma once
// Portable counter values of one container or pod group, as a StatsSource
// reads them (cgroups on Linux, Job Objects / HCS / HNS on Windows), and the
// cached samples the StatsSampler derives rates from.
//
// Thread safety: plain values.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace silo::runtime::stats {

struct MemoryCounters {
  uint64_t usage_bytes = 0;        // all charged memory, page cache included
  uint64_t working_set_bytes = 0;  // usage minus inactive file pages
  uint64_t rss_bytes = 0;          // anonymous memory
  uint64_t page_faults = 0;
  uint64_t major_page_faults = 0;
  uint64_t oom_events = 0;         // OOM kills in the group
  uint64_t limit_bytes = 0;        // 0 = no limit
  uint64_t commit_bytes = 0;       // Windows: committed memory (Job Object / HCS)
};

// Counters of one group (a cgroup; a Job Object). Absent parts are nullopt,
// e.g. the cpuacct hierarchy of a v1 pod cgroup that has no container yet.
struct GroupCounters {
  std::optional<uint64_t> cpu_usage_ns;  // cumulative CPU time, all cores
  std::optional<MemoryCounters> memory;
  std::optional<uint64_t> process_count;
};

struct InterfaceCounters {
  std::string name;
  uint64_t rx_bytes = 0;
  uint64_t rx_errors = 0;
  uint64_t rx_dropped = 0;
  uint64_t tx_bytes = 0;
  uint64_t tx_errors = 0;
  uint64_t tx_dropped = 0;
};

struct FsUsage {
  std::string mountpoint;  // the writable layer's directory
  uint64_t used_bytes = 0;
  uint64_t inodes_used = 0;
  int64_t timestamp_ns = 0;
};

// Which CRI messages a pod's stats fill: PodSandboxStats.linux or .windows
// (kubelet on Windows reads only the latter).
enum class StatsFormat { kLinux, kWindows };

// One reading of a container or a sandbox.
struct Sample {
  int64_t timestamp_ns = 0;  // wall clock (CRI timestamps)
  int64_t monotonic_ns = 0;  // steady clock (rates)
  GroupCounters group;
  std::vector<InterfaceCounters> interfaces;  // sandboxes only; loopback excluded
};

// What the stats RPCs see for one object: the newest sample and the rate
// derived from it and the one before.
struct Snapshot {
  Sample last;
  std::optional<uint64_t> usage_nano_cores;  // needs two samples
  std::optional<FsUsage> writable_layer;     // containers only; refreshed on a slow timer
};

// Adds one container's counters into a pod total built from separate groups
// (Windows): CPU time, memory usage, working set, RSS, commit, page faults,
// OOM events and process counts are summed; the limit stays the pod's own.
// A part the container lacks adds nothing; a part the pod lacks starts at
// the container's value.
void AddToPodTotals(const GroupCounters& container, GroupCounters& pod);

// usage_nano_cores from two samples: CPU-time delta over wall-time delta.
// nullopt when either sample lacks CPU, time did not advance, or the counter
// went backwards (a recreated group).
std::optional<uint64_t> NanoCores(const Sample& previous, const Sample& current);

}  // namespace silo::runtime::stats
