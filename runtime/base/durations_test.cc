#include "runtime/base/durations.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace silo {
namespace {

struct Recorder : DurationSink {
  void Observe(Timing timing, std::string_view step, bool ok, double seconds) override {
    seen.push_back(std::to_string(static_cast<int>(timing)) + ":" + std::string(step) + ":" + (ok ? "ok" : "fail"));
    last_seconds = seconds;
  }
  std::vector<std::string> seen;
  double last_seconds = -1;
};

TEST(DurationsTest, TimersReportToTheInstalledSinkOnly) {
  ObserveDuration(Timing::kCniCall, "ADD", true, 1.0);  // no sink: dropped
  Recorder r;
  SetDurationSink(&r);
  {
    StepTimer t(Timing::kSandboxStart, "network");
    t.Done(true);
  }
  { StepTimer failed(Timing::kContainerStart, "start"); }  // destroyed early: a failure
  ObserveDuration(Timing::kStoreCommit, "commit", true, 0.25);
  SetDurationSink(nullptr);
  ObserveDuration(Timing::kCniCall, "DEL", true, 1.0);
  EXPECT_EQ(r.seen, (std::vector<std::string>{"0:network:ok", "1:start:fail", "3:commit:ok"}));
  EXPECT_EQ(r.last_seconds, 0.25);
}

}  // namespace
}  // namespace silo
