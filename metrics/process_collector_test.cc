#include "metrics/process_collector.h"

#include <ctime>
#include <map>
#include <vector>

#include "gtest/gtest.h"

namespace silo::metrics {
namespace {

TEST(ProcessCollectorTest, ReportsPlausibleValues) {
  std::vector<char> ballast(8 << 20, 1);  // touch 8 MiB so RSS is clearly non-zero
  ProcessCollector c;
  std::map<std::string, double> v;
  for (const auto& f : c.Collect()) {
    ASSERT_EQ(f.metric.size(), 1u);
    v[f.name] = f.type == prometheus::MetricType::Counter ? f.metric[0].counter.value
                                                          : f.metric[0].gauge.value;
  }
  EXPECT_GT(v["process_resident_memory_bytes"], 8e6);
  EXPECT_GE(v["process_virtual_memory_bytes"], v["process_resident_memory_bytes"]);
  EXPECT_GE(v["process_open_fds"], 3);
  EXPECT_GE(v["process_max_fds"], v["process_open_fds"]);
  EXPECT_GE(v["process_threads"], 1);
  EXPECT_GE(v["process_cpu_seconds_total"], 0);
  double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(v["process_start_time_seconds"], now + 2);
  EXPECT_GT(v["process_start_time_seconds"], now - 3600);
  EXPECT_GT(ballast[4096], 0);
}

}  // namespace
}  // namespace silo::metrics
