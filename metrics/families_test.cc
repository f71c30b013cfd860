#include "metrics/families.h"

#include "gtest/gtest.h"

namespace silo::metrics {
namespace {

std::string Render(const Metrics& m) { return m.RenderText(); }

TEST(MetricsTest, BuildInfoAndProcessMetricsAlwaysPresent) {
  Metrics m;
  std::string text = Render(m);
  EXPECT_NE(text.find("silo_build_info{"), std::string::npos) << text;
  EXPECT_NE(text.find("platform=\"linux\""), std::string::npos);
  EXPECT_NE(text.find("process_resident_memory_bytes"), std::string::npos);
}

TEST(MetricsTest, CriRequestIsCountedByCodeAndTimed) {
  Metrics m;
  m.ObserveCriRequest("RuntimeService", "Version", "OK", 0.002);
  m.ObserveCriRequest("RuntimeService", "Version", "OK", 0.004);
  m.ObserveCriRequest("RuntimeService", "StopPodSandbox", "UNIMPLEMENTED", 0.0001);
  std::string text = Render(m);
  EXPECT_NE(text.find("silo_cri_requests_total{code=\"OK\",rpc=\"Version\",service=\"RuntimeService\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("silo_cri_requests_total{code=\"UNIMPLEMENTED\",rpc=\"StopPodSandbox\""),
            std::string::npos);
  EXPECT_NE(text.find("silo_cri_request_duration_seconds_count{rpc=\"Version\"} 2"), std::string::npos);
  EXPECT_NE(text.find("silo_cri_request_duration_seconds_bucket{rpc=\"Version\",le=\"0.004\"} 2"),
            std::string::npos);
}

TEST(MetricsTest, ImagePullsAreCountedTimedAndInFlight) {
  Metrics m;
  std::string text = m.RenderText();
  EXPECT_NE(text.find("silo_image_pulls_in_flight 0"), std::string::npos) << text;
  EXPECT_NE(text.find("silo_image_pull_bytes_total 0"), std::string::npos) << text;
  m.ImagePullStarted();
  m.ImagePullStarted();
  m.ImagePullBytes(1500);
  m.ImagePullBytes(500);
  m.ImagePullFinished("OK", 2.5);
  text = m.RenderText();
  EXPECT_NE(text.find("silo_image_pulls_in_flight 1"), std::string::npos) << text;
  EXPECT_NE(text.find("silo_image_pull_bytes_total 2000"), std::string::npos) << text;
  EXPECT_NE(text.find("silo_image_pull_duration_seconds_count{code=\"OK\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("silo_image_pull_duration_seconds_sum{code=\"OK\"} 2.5"), std::string::npos) << text;
}

TEST(MetricsTest, StepTimingsBecomeHistogramsThroughTheDurationSink) {
  Metrics m;
  SetDurationSink(&m);
  ObserveDuration(Timing::kSandboxStart, "network", true, 0.02);
  ObserveDuration(Timing::kContainerStart, "start", false, 0.5);
  ObserveDuration(Timing::kCniCall, "ADD", true, 0.01);
  ObserveDuration(Timing::kStoreCommit, "commit", true, 0.001);
  SetDurationSink(nullptr);
  m.SetShimsAlive(3);
  const std::string text = m.RenderText();
  for (const char* want : {"silo_pod_sandbox_start_duration_seconds_count{result=\"ok\",step=\"network\"} 1",
                           "silo_container_start_duration_seconds_count{result=\"error\",step=\"start\"} 1",
                           "silo_cni_call_duration_seconds_count{op=\"ADD\",result=\"ok\"} 1",
                           "silo_store_commit_duration_seconds_count{result=\"ok\"} 1", "silo_shims_alive 3"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  }
}

TEST(MetricsTest, BucketsAreIncreasing) {
  const auto& b = Metrics::LatencyBuckets();
  ASSERT_GT(b.size(), 10u);
  for (size_t i = 1; i < b.size(); ++i) EXPECT_LT(b[i - 1], b[i]);
}

}  // namespace
}  // namespace silo::metrics
