#include "runtime/stats/stats_types.h"

namespace silo::runtime::stats {

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
