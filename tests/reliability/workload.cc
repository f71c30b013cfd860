#include "tests/reliability/workload.h"

#include <iostream>

#include "absl/strings/str_cat.h"

namespace silo::reliability {

bool Gate::Enter() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !closed_ || shutdown_; });
  if (shutdown_) return false;
  ++inside_;
  return true;
}

void Gate::Leave() {
  std::lock_guard lock(mu_);
  --inside_;
  cv_.notify_all();
}

void Gate::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
}

void Gate::WaitIdle() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return inside_ == 0; });
}

void Gate::Open() {
  std::lock_guard lock(mu_);
  closed_ = false;
  cv_.notify_all();
}

void Gate::Shutdown() {
  std::lock_guard lock(mu_);
  shutdown_ = true;
  cv_.notify_all();
}

Worker::Worker(int index, uint32_t seed, Env* env, Gate* gate, Counters* counters,
               std::vector<std::string>* violations, std::mutex* violations_mu)
    : index_(index),
      rng_(seed + 7919u * static_cast<uint32_t>(index)),
      env_(env),
      gate_(gate),
      counters_(counters),
      violations_(violations),
      violations_mu_(violations_mu) {}

void Worker::Run() {
  while (gate_->Enter()) {
    Step();
    gate_->Leave();
  }
}

void Worker::Violation(const std::string& what) {
  std::lock_guard lock(*violations_mu_);
  violations_->push_back(absl::StrCat("worker ", index_, ": ", what));
}

template <typename Map, typename Pred>
std::string Worker::Pick(const Map& m, Pred pred) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : m) {
    if (pred(v)) keys.push_back(k);
  }
  if (keys.empty()) return "";
  return keys[std::uniform_int_distribution<size_t>(0, keys.size() - 1)(rng_)];
}

void Worker::Step() {
  ++counters_->ops;
  int r = std::uniform_int_distribution<int>(0, 99)(rng_);
  if (pods_.empty() || (r < 8 && pods_.size() < 2)) return RunPod();
  if (r < 28) return containers_.size() < 5 ? CreateContainer() : RemoveContainer();
  if (r < 48) return StartContainer();
  if (r < 63) return Exec();
  if (r < 73) return StopContainer();
  if (r < 83) return RemoveContainer();
  if (r < 90) return RemovePod();
  if (index_ == 0) return ChurnImage();
  return Exec();
}

namespace {

// Calls fail while silod is down (UNAVAILABLE); anything else is printed
// (the first few) to explain the counts.
void Tally(Counters* c, const grpc::Status& s, const char* op) {
  if (s.ok()) {
    ++c->acked;
    return;
  }
  ++c->failed;
  if (s.error_code() != grpc::StatusCode::UNAVAILABLE && c->unexpected++ < 20) {
    std::cerr << "note: " << op << " failed with code " << s.error_code() << ": " << s.error_message() << "\n";
  }
}

}  // namespace

void Worker::RunPod() {
  std::string name = absl::StrCat("w", index_, "-p", next_name_++);
  ::runtime::v1::PodSandboxConfig config = env_->Pod(name);
  std::string id;
  grpc::Status s = env_->RunPod(config, &id);
  Tally(counters_, s, "RunPodSandbox");
  // Without an answer the id is unknown; the driver collects such orphans.
  if (s.ok()) pods_[id] = Pod{config, true};
}

void Worker::CreateContainer() {
  std::string pod_id = Pick(pods_, [](const Pod& p) { return p.ready; });
  if (pod_id.empty()) return RunPod();
  const Pod& pod = pods_[pod_id];
  std::string name = absl::StrCat("c", next_name_++);
  std::string id;
  grpc::Status s = env_->CreateContainer(pod_id, pod.config, env_->Printer(name), &id);
  Tally(counters_, s, "CreateContainer");
  if (s.ok()) {
    containers_[id] = Container{pod_id, absl::StrCat(pod.config.log_directory(), "/", name, "/0.log"),
                                CState::kCreated};
  }
}

void Worker::StartContainer() {
  std::string id = Pick(containers_, [](const Container& c) { return c.state == CState::kCreated; });
  if (id.empty()) return CreateContainer();
  containers_[id].state = CState::kUnknown;  // until acknowledged
  grpc::Status s = env_->StartContainer(id);
  Tally(counters_, s, "StartContainer");
  if (s.ok()) containers_[id].state = CState::kRunning;
}

void Worker::Exec() {
  std::string id = Pick(containers_, [](const Container& c) { return c.state == CState::kRunning; });
  if (id.empty()) return StartContainer();
  std::string word = absl::StrCat("exec-", index_, "-", next_name_++);
  ::runtime::v1::ExecSyncResponse resp;
  grpc::Status s = env_->ExecSync(id, {"/bin/sh", "-c", "echo " + word}, &resp);
  Tally(counters_, s, "ExecSync");
  ++counters_->execs;
  if (s.ok() && (resp.exit_code() != 0 || resp.stdout() != word + "\n")) {
    Violation(absl::StrCat("ExecSync in ", id, " answered exit ", resp.exit_code(), " stdout '", resp.stdout(),
                           "' stderr '", resp.stderr(), "'"));
  }
}

void Worker::StopContainer() {
  std::string id = Pick(containers_, [](const Container& c) {
    return c.state == CState::kRunning || c.state == CState::kUnknown;
  });
  if (id.empty()) return Exec();
  containers_[id].state = CState::kUnknown;
  grpc::Status s = env_->StopContainer(id, 0);
  Tally(counters_, s, "StopContainer");
  if (s.ok()) containers_[id].state = CState::kStopped;
}

void Worker::RemoveContainer() {
  std::string id = Pick(containers_, [](const Container&) { return true; });
  if (id.empty()) return CreateContainer();
  containers_.erase(id);  // from now on its existence is unknown until acknowledged
  grpc::Status s = env_->RemoveContainer(id);
  Tally(counters_, s, "RemoveContainer");
  if (s.ok()) containers_gone_.insert(id);
}

void Worker::RemovePod() {
  std::string id = Pick(pods_, [](const Pod&) { return true; });
  if (id.empty()) return RunPod();
  std::vector<std::string> members;
  for (const auto& [cid, c] : containers_) {
    if (c.pod_id == id) members.push_back(cid);
  }
  pods_.erase(id);
  for (const auto& cid : members) containers_.erase(cid);
  grpc::Status s = env_->StopPod(id);
  if (s.ok()) s = env_->RemovePod(id);
  Tally(counters_, s, "Stop/RemovePodSandbox");
  if (s.ok()) {
    pods_gone_.insert(id);
    containers_gone_.insert(members.begin(), members.end());
  }
}

void Worker::ChurnImage() {
  ++counters_->pulls;
  const std::string& ref = env_->churn_image();
  churn_known_ = false;
  grpc::Status s = env_->Pull(ref);
  Tally(counters_, s, "Pull/RemoveImage");
  if (!s.ok()) return;
  bool present = false;
  if (env_->ImageStatus(ref, &present).ok() && !present) Violation("pulled image " + ref + " is not present");
  s = env_->RemoveImage(ref);
  Tally(counters_, s, "Pull/RemoveImage");
  if (s.ok() && env_->ImageStatus(ref, &present).ok() && present) {
    Violation("removed image " + ref + " is still present");
  }
  churn_known_ = s.ok();
}

void Worker::AddExpectations(Expectations* e) const {
  for (const auto& [id, p] : pods_) e->pods.insert(id);
  e->pods_gone.insert(pods_gone_.begin(), pods_gone_.end());
  for (const auto& [id, c] : containers_) {
    e->containers.insert(id);
    if (c.state == CState::kRunning) e->running.insert(id);
    e->logs[id] = c.log_path;
  }
  e->containers_gone.insert(containers_gone_.begin(), containers_gone_.end());
  if (index_ == 0 && churn_known_) e->images[env_->churn_image()] = false;
}

void Worker::Reconcile(const Listing& listing, std::set<std::string>* owned) {
  std::map<std::string, ::runtime::v1::PodSandboxState> pods;
  std::map<std::string, ::runtime::v1::ContainerState> containers;
  for (const auto& p : listing.pods) pods[p.id()] = p.state();
  for (const auto& c : listing.containers) containers[c.id()] = c.state();
  for (auto it = pods_.begin(); it != pods_.end();) {
    auto found = pods.find(it->first);
    if (found == pods.end()) {
      it = pods_.erase(it);
      continue;
    }
    it->second.ready = found->second == ::runtime::v1::SANDBOX_READY;
    owned->insert(it->first);
    ++it;
  }
  for (auto it = containers_.begin(); it != containers_.end();) {
    auto found = containers.find(it->first);
    if (found == containers.end() || !pods_.count(it->second.pod_id)) {
      it = containers_.erase(it);
      continue;
    }
    switch (found->second) {
      case ::runtime::v1::CONTAINER_CREATED: it->second.state = CState::kCreated; break;
      case ::runtime::v1::CONTAINER_RUNNING: it->second.state = CState::kRunning; break;
      case ::runtime::v1::CONTAINER_EXITED: it->second.state = CState::kStopped; break;
      default: it->second.state = CState::kUnknown; break;
    }
    owned->insert(it->first);
    ++it;
  }
}

}  // namespace silo::reliability
