#include "runtime/base/saturating_time.h"

#include <chrono>
#include <cstdint>
#include <limits>

#include "gtest/gtest.h"

namespace silo {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

TEST(SaturatingTimeTest, AHugeTimeoutInSecondsBecomesTheLargestMillisecondCount) {
  EXPECT_EQ(SaturatingDurationCast<milliseconds>(seconds(kMax)), milliseconds::max());
  EXPECT_EQ(SaturatingDurationCast<milliseconds>(seconds(-kMax)), milliseconds::min());
  EXPECT_EQ(SaturatingDurationCast<milliseconds>(seconds(3)), milliseconds(3000));
  EXPECT_EQ(SaturatingDurationCast<seconds>(milliseconds(2500)), seconds(2)) << "coarser units truncate";
}

TEST(SaturatingTimeTest, NowPlusInt64MaxSecondsIsTheClocksEndNotThePast) {
  const steady_clock::time_point now = steady_clock::now();
  EXPECT_EQ(SaturatingAdd(now, seconds(kMax)), steady_clock::time_point::max());
  EXPECT_EQ(SaturatingAdd(now, milliseconds::max()), steady_clock::time_point::max());
  EXPECT_EQ(SaturatingAdd(steady_clock::time_point::max(), seconds(1)), steady_clock::time_point::max());
  EXPECT_EQ(SaturatingAdd(now, seconds(5)), now + seconds(5));
  EXPECT_EQ(SaturatingAdd(now, seconds(0)), now);
}

}  // namespace
}  // namespace silo
