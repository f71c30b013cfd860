#include "runtime/stats/stats_types.h"

namespace silo::runtime::stats {

void AddToPodTotals(const GroupCounters& container, GroupCounters& pod) {
  if (container.cpu_usage_ns) pod.cpu_usage_ns = pod.cpu_usage_ns.value_or(0) + *container.cpu_usage_ns;
  if (container.process_count) pod.process_count = pod.process_count.value_or(0) + *container.process_count;
  if (!container.memory) return;
  const MemoryCounters& c = *container.memory;
  MemoryCounters& m = pod.memory ? *pod.memory : pod.memory.emplace();
  m.usage_bytes += c.usage_bytes;
  m.working_set_bytes += c.working_set_bytes;
  m.rss_bytes += c.rss_bytes;
  m.page_faults += c.page_faults;
  m.major_page_faults += c.major_page_faults;
  m.oom_events += c.oom_events;
  m.commit_bytes += c.commit_bytes;
}

std::optional<uint64_t> NanoCores(const Sample& previous, const Sample& current) {
  if (!previous.group.cpu_usage_ns || !current.group.cpu_usage_ns) return std::nullopt;
  if (current.monotonic_ns <= previous.monotonic_ns) return std::nullopt;
  if (*current.group.cpu_usage_ns < *previous.group.cpu_usage_ns) return std::nullopt;
  // long double: the product of a CPU delta in ns and 1e9 overflows uint64.
  long double cpu = static_cast<long double>(*current.group.cpu_usage_ns - *previous.group.cpu_usage_ns);
  long double wall = static_cast<long double>(current.monotonic_ns - previous.monotonic_ns);
  return static_cast<uint64_t>(cpu * 1e9L / wall + 0.5L);
}

}  // namespace silo::runtime::stats
