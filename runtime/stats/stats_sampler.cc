#include "runtime/stats/stats_sampler.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "spdlog/spdlog.h"

namespace silo::runtime::stats {
namespace {

std::string ContainerKey(const std::string& id) { return absl::StrCat("c/", id); }
std::string SandboxKey(const std::string& id) { return absl::StrCat("s/", id); }

void Stamp(const SamplerOptions& options, Sample& s) {
  s.timestamp_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  s.monotonic_ns = options.monotonic_now_ns ? options.monotonic_now_ns()
                                            : std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                  std::chrono::steady_clock::now().time_since_epoch())
                                                  .count();
}

}  // namespace

StatsSampler::StatsSampler(SamplerOptions options, const store::ContainerStore* containers,
                           const store::SandboxStore* sandboxes, StatsSource* source)
    : StatsSampler(options, containers, sandboxes, [source](const model::SandboxRecord&) { return source; }) {}

StatsSampler::StatsSampler(SamplerOptions options, const store::ContainerStore* containers,
                           const store::SandboxStore* sandboxes, SourceFor source_for)
    : options_(options), containers_(containers), sandboxes_(sandboxes), source_for_(std::move(source_for)) {}

StatsSampler::~StatsSampler() { Stop(); }

void StatsSampler::Start() {
  silo::MutexLock lock(&run_mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Loop(); });
}

void StatsSampler::Stop() {
  {
    silo::MutexLock lock(&run_mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void StatsSampler::Loop() {
  auto next = std::chrono::steady_clock::now();
  while (true) {
    SampleNow();
    // Fixed-rate ticks: a slow tick does not push every later one back.
    next += options_.interval;
    auto now = std::chrono::steady_clock::now();
    if (next < now) next = now;
    silo::MutexLock lock(&run_mu_);
    if (run_mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::FromChrono(next - now))) return;
  }
}

void StatsSampler::SampleNow() {
  silo::MutexLock tick_lock(&tick_mu_);
  auto started = std::chrono::steady_clock::now();
  const int64_t tick = ++tick_;
  TickSummary summary;

  std::vector<model::SandboxRecord> sandboxes = sandboxes_->List();
  std::map<std::string, const model::SandboxRecord*> by_id;
  for (const auto& s : sandboxes) {
    by_id[s.id] = &s;
    summary.sandboxes_by_state[s.state]++;
  }

  // Which layers are due: outside the tick's reads, under mu_ briefly.
  std::map<std::string, Entry> fresh;
  std::map<std::string, bool> layer_due;
  std::vector<model::ContainerRecord> containers = containers_->List();
  {
    silo::MutexLock lock(&mu_);
    for (const auto& c : containers) {
      auto it = cache_.find(ContainerKey(c.id));
      layer_due[c.id] = it == cache_.end() || !it->second.layer ||
                        tick - it->second.layer_tick >= options_.layer_every;
    }
  }

  std::map<std::string, std::vector<std::string>> sampled_by_sandbox;  // sandbox id -> container keys
  for (const auto& c : containers) {
    model::ContainerState state = c.State();
    summary.containers_by_state[state]++;
    if (state != model::ContainerState::kRunning) continue;
    auto sandbox = by_id.find(c.sandbox_id);
    if (sandbox == by_id.end()) continue;
    StatsSource* source = source_for_(*sandbox->second);
    if (source == nullptr) continue;
    std::string group = source->ContainerGroup(*sandbox->second, c.id);
    if (group.empty()) continue;
    Entry e;
    Stamp(options_, e.last);
    absl::StatusOr<GroupCounters> counters = source->ReadGroup(group);
    if (!counters.ok()) {
      // NotFound: the container ended and its cgroup went between the list
      // and the read; anything else is worth a debug line, not a log flood.
      if (!absl::IsNotFound(counters.status())) {
        spdlog::debug("stats of container {}: {}", c.id, std::string(counters.status().message()));
      }
      continue;
    }
    e.last.group = *counters;
    if (layer_due[c.id]) {
      absl::StatusOr<FsUsage> layer = source->ReadWritableLayer(c.id);
      if (layer.ok()) {
        e.layer = *layer;
        e.layer_tick = tick;
      } else {
        spdlog::debug("writable layer of container {}: {}", c.id, std::string(layer.status().message()));
      }
    }
    fresh.emplace(ContainerKey(c.id), std::move(e));
    sampled_by_sandbox[c.sandbox_id].push_back(ContainerKey(c.id));
  }

  for (const auto& s : sandboxes) {
    if (s.state != model::SandboxState::kReady) continue;
    StatsSource* source = source_for_(s);
    if (source == nullptr) continue;
    const bool sum_containers = !source->SandboxGroupHoldsContainers();
    const std::string group = source->SandboxGroup(s);
    const std::vector<std::string>& pod_containers = sampled_by_sandbox[s.id];
    if (group.empty() && (!sum_containers || pod_containers.empty())) continue;
    Entry e;
    Stamp(options_, e.last);
    if (!group.empty()) {
      absl::StatusOr<GroupCounters> counters = source->ReadGroup(group);
      if (!counters.ok()) {
        if (!absl::IsNotFound(counters.status())) {
          spdlog::debug("stats of sandbox {}: {}", s.id, std::string(counters.status().message()));
        }
        continue;
      }
      e.last.group = *counters;
    }
    if (sum_containers) {
      for (const std::string& key : pod_containers) AddToPodTotals(fresh.at(key).last.group, e.last.group);
    }
    if (!s.netns_path.empty()) {
      absl::StatusOr<std::vector<InterfaceCounters>> net = source->ReadNetwork(s.netns_path);
      if (net.ok()) {
        e.last.interfaces = std::move(*net);
      } else {
        spdlog::debug("network stats of sandbox {}: {}", s.id, std::string(net.status().message()));
      }
    }
    fresh.emplace(SandboxKey(s.id), std::move(e));
  }

  {
    silo::MutexLock lock(&mu_);
    for (auto& [key, e] : fresh) {
      auto old = cache_.find(key);
      if (old == cache_.end()) continue;
      e.previous = std::move(old->second.last);
      if (!e.layer) {  // not due this tick: carry the last walk over
        e.layer = std::move(old->second.layer);
        e.layer_tick = old->second.layer_tick;
      }
    }
    cache_ = std::move(fresh);  // objects not sampled this tick leave
  }
  summary.duration = std::chrono::steady_clock::now() - started;
  if (observer_) observer_(summary);
}

std::optional<Snapshot> StatsSampler::SnapshotOf(const std::string& key) const {
  auto it = cache_.find(key);
  if (it == cache_.end()) return std::nullopt;
  Snapshot s;
  s.last = it->second.last;
  if (it->second.previous) s.usage_nano_cores = NanoCores(*it->second.previous, it->second.last);
  s.writable_layer = it->second.layer;
  return s;
}

ContainerStatsView StatsSampler::ViewOf(model::ContainerRecord record) const {
  ContainerStatsView v;
  v.stats = SnapshotOf(ContainerKey(record.id));
  v.record = std::move(record);
  return v;
}

absl::StatusOr<ContainerStatsView> StatsSampler::Container(const std::string& id_or_prefix) const {
  absl::StatusOr<model::ContainerRecord> record = containers_->Get(id_or_prefix);
  if (!record.ok()) return record.status();
  silo::MutexLock lock(&mu_);
  return ViewOf(std::move(*record));
}

std::vector<ContainerStatsView> StatsSampler::Containers(const store::ContainerFilter& filter) const {
  std::vector<model::ContainerRecord> records = containers_->List(filter);
  std::vector<ContainerStatsView> out;
  out.reserve(records.size());
  silo::MutexLock lock(&mu_);
  for (auto& r : records) out.push_back(ViewOf(std::move(r)));
  return out;
}

absl::StatusOr<SandboxStatsView> StatsSampler::Sandbox(const std::string& id_or_prefix) const {
  absl::StatusOr<model::SandboxRecord> record = sandboxes_->Get(id_or_prefix);
  if (!record.ok()) return record.status();
  std::vector<SandboxStatsView> views = Sandboxes(store::SandboxFilter{.id = record->id});
  if (views.empty()) return absl::NotFoundError(absl::StrCat("pod sandbox ", record->id, " not found"));
  return std::move(views.front());
}

namespace {

// What a stats view tells of its pod: the attributes and placement, not the
// setup log, the serialized config or the platform data (a whole CNI result,
// a JSON tree whose copy per pod per call dominated ListPodSandboxStats).
model::SandboxRecord StatsAttributes(const model::SandboxRecord& r) {
  model::SandboxRecord a;
  a.id = r.id;
  a.metadata = r.metadata;
  a.runtime_handler = r.runtime_handler;
  a.handler_type = r.handler_type;
  a.requested_handler = r.requested_handler;
  a.labels = r.labels;
  a.annotations = r.annotations;
  a.created_at_ns = r.created_at_ns;
  a.state = r.state;
  a.netns_path = r.netns_path;
  a.ip = r.ip;
  a.additional_ips = r.additional_ips;
  a.cgroup_parent = r.cgroup_parent;
  a.cgroup_path = r.cgroup_path;
  a.hostname = r.hostname;
  a.log_directory = r.log_directory;
  return a;
}

}  // namespace

std::vector<SandboxStatsView> StatsSampler::Sandboxes(const store::SandboxFilter& filter) const {
  std::vector<model::SandboxRecord> records;
  sandboxes_->Visit(filter, [&records](const model::SandboxRecord& r) { records.push_back(StatsAttributes(r)); });
  std::map<std::string, std::vector<model::ContainerRecord>> by_sandbox;
  if (!records.empty()) {
    for (auto& c : containers_->List()) by_sandbox[c.sandbox_id].push_back(std::move(c));
  }
  std::vector<SandboxStatsView> out;
  out.reserve(records.size());
  silo::MutexLock lock(&mu_);
  for (auto& r : records) {
    SandboxStatsView v;
    v.stats = SnapshotOf(SandboxKey(r.id));
    if (const StatsSource* source = source_for_(r)) v.format = source->Format();
    for (auto& c : by_sandbox[r.id]) {
      ContainerStatsView cv = ViewOf(std::move(c));
      if (cv.stats) v.containers.push_back(std::move(cv));
    }
    v.record = std::move(r);
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace silo::runtime::stats
