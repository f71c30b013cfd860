#include "runtime/stats/stats_types.h"

#include "gtest/gtest.h"

namespace silo::runtime::stats {
namespace {

Sample At(int64_t mono_ns, std::optional<uint64_t> cpu_ns) {
  Sample s;
  s.monotonic_ns = mono_ns;
  s.group.cpu_usage_ns = cpu_ns;
  return s;
}

TEST(NanoCoresTest, DeltaOverTime) {
  // 1.5 s of CPU in 2 s of wall time: 0.75 cores.
  EXPECT_EQ(NanoCores(At(1'000'000'000, 10), At(3'000'000'000, 10 + 1'500'000'000)), 750'000'000u);
  // Large counters do not overflow.
  EXPECT_EQ(NanoCores(At(0, uint64_t{1} << 62), At(1'000'000'000, (uint64_t{1} << 62) + 2'000'000'000)),
            2'000'000'000u);
}

TEST(NanoCoresTest, NoRateWithoutProgressOrCounters) {
  EXPECT_FALSE(NanoCores(At(5, 10), At(5, 20)).has_value());
  EXPECT_FALSE(NanoCores(At(5, 20), At(6, 10)).has_value());
  EXPECT_FALSE(NanoCores(At(5, std::nullopt), At(6, 10)).has_value());
}

}  // namespace
}  // namespace silo::runtime::stats
