#include "metrics/families.h"

#include "metrics/process_collector.h"
#include "runtime/base/version.h"
#include "prometheus/text_serializer.h"

namespace silo::metrics {

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      cri_requests_(prometheus::BuildCounter()
                        .Name(kCriRequestsTotal)
                        .Help("CRI requests served, by service, RPC and gRPC status code.")
                        .Register(*registry_)),
      cri_duration_(prometheus::BuildHistogram()
                        .Name(kCriRequestDuration)
                        .Help("CRI request latency in seconds, by RPC.")
                        .Register(*registry_)),
      cri_in_flight_(prometheus::BuildGauge()
                         .Name(kCriRequestsInFlight)
                         .Help("CRI requests being served now, by RPC.")
                         .Register(*registry_)),
      build_info_(prometheus::BuildGauge()
                      .Name(kBuildInfo)
                      .Help("Always 1; labels describe the silod build.")
                      .Register(*registry_)),
      objects_(prometheus::BuildGauge()
                   .Name(kObjects)
                   .Help("Containers and pod sandboxes silod knows, by kind and state (counted by the stats sampler).")
                   .Register(*registry_)),
      stats_tick_(prometheus::BuildHistogram()
                      .Name(kStatsTickDuration)
                      .Help("Duration in seconds of one stats sampler pass over all running containers and pods.")
                      .Register(*registry_)
                      .Add({}, LatencyBuckets())),
      image_pulls_in_flight_(prometheus::BuildGauge()
                                 .Name(kImagePullsInFlight)
                                 .Help("Image pull operations running now (callers sharing a pull count once).")
                                 .Register(*registry_)),
      image_pull_duration_(prometheus::BuildHistogram()
                               .Name(kImagePullDuration)
                               .Help("Wall time of image pull operations in seconds, by gRPC result code.")
                               .Register(*registry_)),
      image_pull_bytes_(prometheus::BuildCounter()
                            .Name(kImagePullBytes)
                            .Help("Bytes of image blobs received from registries.")
                            .Register(*registry_)),
      shims_alive_(prometheus::BuildGauge()
                       .Name(kShimsAlive)
                       .Help("Containers with a live silo-shim (CREATED or RUNNING), per stats sampler pass.")
                       .Register(*registry_)),
      sandbox_start_(prometheus::BuildHistogram()
                         .Name(kSandboxStartDuration)
                         .Help("RunPodSandbox steps in seconds: namespaces, pod_group, network (CNI ADD), files, total.")
                         .Register(*registry_)),
      container_start_(prometheus::BuildHistogram()
                           .Name(kContainerStartDuration)
                           .Help("Container steps in seconds: create (its parts rootfs, bundle, monitor) and start.")
                           .Register(*registry_)),
      container_remove_(prometheus::BuildHistogram()
                            .Name(kContainerRemoveDuration)
                            .Help("RemoveContainer steps in seconds: monitor (shutdown and runtime delete), rootfs, files, "
                                  "total.")
                            .Register(*registry_)),
      cni_calls_(prometheus::BuildHistogram()
                     .Name(kCniCallDuration)
                     .Help("CNI plugin chain calls in seconds, by operation and result.")
                     .Register(*registry_)),
      store_commits_(prometheus::BuildHistogram()
                         .Name(kStoreCommitDuration)
                         .Help("Metadata database commits (fsync included) in seconds, by result.")
                         .Register(*registry_)) {
  shims_alive_.Add({});
  // Present from the first scrape, before any pull.
  image_pulls_in_flight_.Add({});
  image_pull_bytes_.Add({});
#if defined(_WIN32)
  const char* platform = "windows";
#else
  const char* platform = "linux";
#endif
  build_info_
      .Add({{"version", silo::Version()},
            {"commit", silo::GitCommit()},
            {"platform", platform},
            {"compiler", __VERSION__}})
      .Set(1);
  process_ = std::make_shared<ProcessCollector>();
}

std::vector<std::shared_ptr<prometheus::Collectable>> Metrics::Collectables() const {
  return {registry_, process_};
}

std::string Metrics::RenderText() const {
  std::vector<prometheus::MetricFamily> all;
  for (const auto& c : Collectables()) {
    auto families = c->Collect();
    all.insert(all.end(), families.begin(), families.end());
  }
  return prometheus::TextSerializer().Serialize(all);
}

const prometheus::Histogram::BucketBoundaries& Metrics::LatencyBuckets() {
  // 0.5 ms .. ~65 s: CRI calls range from cached lists to image pulls.
  static const prometheus::Histogram::BucketBoundaries kBuckets = [] {
    prometheus::Histogram::BucketBoundaries b;
    for (double v = 0.0005; v < 70; v *= 2) b.push_back(v);
    return b;
  }();
  return kBuckets;
}

void Metrics::ObserveCriRequest(absl::string_view service, absl::string_view rpc,
                                absl::string_view code, double seconds) {
  cri_requests_
      .Add({{"service", std::string(service)}, {"rpc", std::string(rpc)}, {"code", std::string(code)}})
      .Increment();
  cri_duration_.Add({{"rpc", std::string(rpc)}}, LatencyBuckets()).Observe(seconds);
}

void Metrics::SetObjectCount(absl::string_view kind, absl::string_view state, double count) {
  objects_.Add({{"kind", std::string(kind)}, {"state", std::string(state)}}).Set(count);
}

void Metrics::ObserveStatsTick(double seconds) { stats_tick_.Observe(seconds); }

void Metrics::SetShimsAlive(double count) { shims_alive_.Add({}).Set(count); }

void Metrics::Observe(Timing timing, std::string_view step, bool ok, double seconds) {
  const std::string result = ok ? "ok" : "error";
  const std::string name(step);
  switch (timing) {
    case Timing::kSandboxStart:
      sandbox_start_.Add({{"step", name}, {"result", result}}, LatencyBuckets()).Observe(seconds);
      break;
    case Timing::kContainerStart:
      container_start_.Add({{"step", name}, {"result", result}}, LatencyBuckets()).Observe(seconds);
      break;
    case Timing::kContainerRemove:
      container_remove_.Add({{"step", name}, {"result", result}}, LatencyBuckets()).Observe(seconds);
      break;
    case Timing::kCniCall:
      cni_calls_.Add({{"op", name}, {"result", result}}, LatencyBuckets()).Observe(seconds);
      break;
    case Timing::kStoreCommit:
      store_commits_.Add({{"result", result}}, LatencyBuckets()).Observe(seconds);
      break;
  }
}

prometheus::Gauge& Metrics::CriInFlight(absl::string_view rpc) {
  return cri_in_flight_.Add({{"rpc", std::string(rpc)}});
}

void Metrics::ImagePullStarted() { image_pulls_in_flight_.Add({}).Increment(); }

void Metrics::ImagePullFinished(absl::string_view code, double seconds) {
  image_pulls_in_flight_.Add({}).Decrement();
  image_pull_duration_.Add({{"code", std::string(code)}}, LatencyBuckets()).Observe(seconds);
}

void Metrics::ImagePullBytes(int64_t bytes) {
  if (bytes > 0) image_pull_bytes_.Add({}).Increment(static_cast<double>(bytes));
}

}  // namespace silo::metrics
