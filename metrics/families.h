#pragma once
// Every metric family silod exports is declared here, so the README's metric
// list and the code cannot drift apart. Names follow Prometheus conventions:
// silo_ prefix, base units, _total for counters.
//
// Thread-safe: prometheus-cpp metrics are atomic; Family::Add is locked.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include <string_view>

#include "absl/strings/string_view.h"
#include "runtime/base/durations.h"

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace silo::metrics {

class Metrics final : public DurationSink {
 public:
  Metrics();

  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }

  // Everything a scrape collects: the registry plus the process collector.
  std::vector<std::shared_ptr<prometheus::Collectable>> Collectables() const;

  // Collects and renders every family in the Prometheus text format.
  std::string RenderText() const;

  // One finished CRI call: `code` is the gRPC code name (e.g. "OK", "NOT_FOUND").
  void ObserveCriRequest(absl::string_view service, absl::string_view rpc, absl::string_view code,
                         double seconds);

  // In-flight CRI calls, by RPC.
  prometheus::Gauge& CriInFlight(absl::string_view rpc);

  // Objects silod knows, by kind ("container", "pod_sandbox") and state
  // name ("RUNNING", "READY", ...), as the stats sampler last counted them.
  void SetObjectCount(absl::string_view kind, absl::string_view state, double count);
  // One stats sampler tick (reading every running container and pod).
  void ObserveStatsTick(double seconds);
  // Image pulls (silod adapts image::PullObserver to these). `code` is the
  // gRPC code name of the result.
  void ImagePullStarted();
  void ImagePullFinished(absl::string_view code, double seconds);
  void ImagePullBytes(int64_t bytes);
  // Containers that have a live shim (CREATED or RUNNING), per stats tick.
  void SetShimsAlive(double count);
  // Step timings from the managers, the CNI invoker and the store
  // (runtime/base/durations.h), as histograms by step and result.
  void Observe(Timing timing, std::string_view step, bool ok, double seconds) override;

  // The latency bucket bounds (seconds) of silo_cri_request_duration_seconds.
  static const prometheus::Histogram::BucketBoundaries& LatencyBuckets();

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<prometheus::Collectable> process_;
  prometheus::Family<prometheus::Counter>& cri_requests_;
  prometheus::Family<prometheus::Histogram>& cri_duration_;
  prometheus::Family<prometheus::Gauge>& cri_in_flight_;
  prometheus::Family<prometheus::Gauge>& build_info_;
  prometheus::Family<prometheus::Gauge>& objects_;
  prometheus::Histogram& stats_tick_;
  prometheus::Family<prometheus::Gauge>& image_pulls_in_flight_;
  prometheus::Family<prometheus::Histogram>& image_pull_duration_;
  prometheus::Family<prometheus::Counter>& image_pull_bytes_;
  prometheus::Family<prometheus::Gauge>& shims_alive_;
  prometheus::Family<prometheus::Histogram>& sandbox_start_;
  prometheus::Family<prometheus::Histogram>& container_start_;
  prometheus::Family<prometheus::Histogram>& container_remove_;
  prometheus::Family<prometheus::Histogram>& cni_calls_;
  prometheus::Family<prometheus::Histogram>& store_commits_;
};

// Metric names, exported for tests and the README.
inline constexpr char kCriRequestsTotal[] = "silo_cri_requests_total";
inline constexpr char kCriRequestDuration[] = "silo_cri_request_duration_seconds";
inline constexpr char kCriRequestsInFlight[] = "silo_cri_requests_in_flight";
inline constexpr char kBuildInfo[] = "silo_build_info";
inline constexpr char kObjects[] = "silo_objects";
inline constexpr char kStatsTickDuration[] = "silo_stats_sample_duration_seconds";
inline constexpr char kShimsAlive[] = "silo_shims_alive";
inline constexpr char kSandboxStartDuration[] = "silo_pod_sandbox_start_duration_seconds";
inline constexpr char kContainerStartDuration[] = "silo_container_start_duration_seconds";
inline constexpr char kContainerRemoveDuration[] = "silo_container_remove_duration_seconds";
inline constexpr char kCniCallDuration[] = "silo_cni_call_duration_seconds";
inline constexpr char kStoreCommitDuration[] = "silo_store_commit_duration_seconds";
inline constexpr char kImagePullsInFlight[] = "silo_image_pulls_in_flight";
inline constexpr char kImagePullDuration[] = "silo_image_pull_duration_seconds";
inline constexpr char kImagePullBytes[] = "silo_image_pull_bytes_total";

}  // namespace silo::metrics
