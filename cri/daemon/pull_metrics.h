#pragma once
// Adapts image::PullObserver to silod's Prometheus families, so the image
// module stays free of metrics code. Thread-safe as Metrics is.

#include "absl/status/status.h"
#include "image/pull_observer.h"
#include "metrics/families.h"

namespace silo::cri {

class PullMetrics final : public image::PullObserver {
 public:
  explicit PullMetrics(metrics::Metrics* metrics) : metrics_(metrics) {}
  void PullStarted() override { metrics_->ImagePullStarted(); }
  void PullFinished(const image::PullSummary& s) override {
    metrics_->ImagePullFinished(absl::StatusCodeToString(s.code), s.seconds);
  }
  void BytesReceived(int64_t bytes) override { metrics_->ImagePullBytes(bytes); }

 private:
  metrics::Metrics* const metrics_;
};

}  // namespace silo::cri
