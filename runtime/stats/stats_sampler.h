#pragma once
// StatsSampler: one background thread that, every `interval`, reads the
// counters of every RUNNING container and every READY pod sandbox through a
// StatsSource and caches the last two samples of each, so the stats RPCs
// answer from memory (O(objects) copies) and rates come from two samples,
// never from one.
//
// Per tick: containers first, then their pods, so a pod's cumulative CPU is
// never below the sum of its containers' read in the same tick. Where the
// source's sandbox group does not hold the containers (Windows), the pod's
// counters are that group's plus the containers sampled in the same tick. Writable
// layers are walked only every `layer_every` ticks (and on first sight).
// Objects not sampled in a tick (stopped, removed, group gone) leave the
// cache: a stopped container has attributes but no usage; a removed one is
// NotFound (the store decides, not the cache).
//
// Thread safety: all public methods are thread-safe. The stores and the
// source must outlive the sampler.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/base/mutex.h"
#include "runtime/model/container.h"
#include "runtime/model/sandbox.h"
#include "runtime/stats/stats_source.h"
#include "runtime/stats/stats_types.h"
#include "runtime/store/container_store.h"
#include "runtime/store/sandbox_store.h"

namespace silo::runtime::stats {

struct SamplerOptions {
  std::chrono::milliseconds interval{1000};
  int layer_every = 10;  // writable-layer walks happen every N ticks
  // Steady clock in ns for rates; null = std::chrono::steady_clock (tests
  // inject one so rates are exact).
  std::function<int64_t()> monotonic_now_ns;
};

struct ContainerStatsView {
  model::ContainerRecord record;
  std::optional<Snapshot> stats;  // nullopt: not running / not sampled yet
};

struct SandboxStatsView {
  // The pod's attributes and placement; its config, setup steps and
  // platform data are left empty (stats never read them, and copying them
  // per pod per call was most of ListPodSandboxStats' cost).
  model::SandboxRecord record;
  std::optional<Snapshot> stats;
  std::vector<ContainerStatsView> containers;  // the pod's sampled containers
  StatsFormat format = StatsFormat::kLinux;    // its handler's stats source's
};

// What one tick saw, for runtime metrics (counts by state).
struct TickSummary {
  std::map<model::ContainerState, int> containers_by_state;
  std::map<model::SandboxState, int> sandboxes_by_state;
  std::chrono::nanoseconds duration{0};
};

class StatsSampler {
 public:
  // The source of a pod and its containers: its runtime handler's; null
  // skips the pod (its handler cannot be found).
  using SourceFor = std::function<StatsSource*(const model::SandboxRecord& sandbox)>;
  StatsSampler(SamplerOptions options, const store::ContainerStore* containers, const store::SandboxStore* sandboxes,
               SourceFor source_for);
  // One source for every pod.
  StatsSampler(SamplerOptions options, const store::ContainerStore* containers, const store::SandboxStore* sandboxes,
               StatsSource* source);
  ~StatsSampler();
  StatsSampler(const StatsSampler&) = delete;
  StatsSampler& operator=(const StatsSampler&) = delete;

  // Called after each tick on the sampler thread (set before Start).
  void SetTickObserver(std::function<void(const TickSummary&)> observer) { observer_ = std::move(observer); }

  // Starts the background thread (first tick at once). Idempotent.
  void Start();
  // Stops and joins the thread. Idempotent; also done by the destructor.
  void Stop();
  // One tick on the caller's thread (tests, and Start's first tick).
  void SampleNow();

  // NotFound for an unknown (e.g. removed) container, as the store says.
  absl::StatusOr<ContainerStatsView> Container(const std::string& id_or_prefix) const;
  std::vector<ContainerStatsView> Containers(const store::ContainerFilter& filter) const;
  absl::StatusOr<SandboxStatsView> Sandbox(const std::string& id_or_prefix) const;
  std::vector<SandboxStatsView> Sandboxes(const store::SandboxFilter& filter) const;

 private:
  struct Entry {
    std::optional<Sample> previous;
    Sample last;
    std::optional<FsUsage> layer;
    int64_t layer_tick = 0;  // tick of the last layer walk
  };

  void Loop();
  std::optional<Snapshot> SnapshotOf(const std::string& key) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  ContainerStatsView ViewOf(model::ContainerRecord record) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SamplerOptions options_;
  const store::ContainerStore* const containers_;
  const store::SandboxStore* const sandboxes_;
  const SourceFor source_for_;
  std::function<void(const TickSummary&)> observer_;

  silo::Mutex tick_mu_;  // one tick at a time
  int64_t tick_ ABSL_GUARDED_BY(tick_mu_) = 0;

  mutable silo::Mutex mu_ ABSL_ACQUIRED_AFTER(tick_mu_);
  std::map<std::string, Entry> cache_ ABSL_GUARDED_BY(mu_);  // "c/<id>" and "s/<id>"

  silo::Mutex run_mu_;
  bool stopping_ ABSL_GUARDED_BY(run_mu_) = false;
  std::thread thread_;
};

}  // namespace silo::runtime::stats
