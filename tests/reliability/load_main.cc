// silo_reliability_load: N pods (each one busybox container logging a line
// a second) on the real silod, then C concurrent gRPC clients issuing a
// weighted mix of CRI calls for D seconds: Version, Status, the list calls
// with and without filters, the status calls (verbose too), the stats calls,
// ImageStatus/ListImages and ExecSync against those static objects, while a
// few "churn" clients run, exec into, stop and remove pods of their own.
// A watchdog dumps silod's thread stacks when a call is in flight > 30 s
// and samples silod's RSS every 10 s. At the end everything is removed and
// the leak checks of invariants.h run.
//
//   silo_reliability_load [--clients=50] [--pods=100] [--seconds=300] [--seed=N] [--churn-clients=N]
//
// Errors: the only expected one is NotFound from ContainerStatus on a
// container seen in a listing that a churn client has since removed; any
// other error, or a successful answer that contradicts the static world
// (a static pod not listed, a static container not RUNNING, a wrong exec
// output), is unexpected. Exit 0 iff no unexpected error, no deadlock, no
// leak and RSS growth (end minus the first sample after warm-up) stays
// below 25 % of the warm RSS + 16 MiB; 77 without root, runc, busybox or
// the CNI plugins. The last line is "RESULT load ...".
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tests/reliability/invariants.h"
#include "tests/reliability/load_stats.h"
#include "tests/reliability/driver_flags.h"
#include "tests/reliability/load_watchdog.h"
#include "tests/reliability/reliability_env.h"

namespace silo::reliability {
namespace {

using Steady = std::chrono::steady_clock;
namespace v1 = ::runtime::v1;

constexpr std::chrono::seconds kStuckAfter(30);
constexpr std::chrono::seconds kRssPeriod(10);
// Longer than the watchdog's threshold, so a hang is seen (and its stacks
// dumped) before the client gives up on it.
constexpr std::chrono::seconds kCallDeadline(90);
constexpr int kGroups = 4;
constexpr char kGroupLabel[] = "load-group";

struct Flags {
  int clients = 50;
  int pods = 100;
  int seconds = 300;
  int churn_clients = -1;  // -1: one client in ten (at least one when clients >= 2)
  uint32_t seed = std::random_device{}();
};

bool ParseFlags(int argc, char** argv, Flags* f) {
  return DriverFlags()
      .Int("clients", &f->clients, 1)
      .Int("pods", &f->pods, 1)
      .Int("seconds", &f->seconds, 1)
      .Int("seed", &f->seed)
      .Int("churn-clients", &f->churn_clients, -1)
      .Parse(argc, argv);
}

// The pods and containers set up before the load; they must stay READY and
// RUNNING throughout.
struct StaticObject {
  std::string pod, container, group;
};
struct World {
  std::vector<StaticObject> objects;
  std::set<std::string> pod_ids, container_ids;
  std::map<std::string, int> per_group;
  std::string image;
};

class LoadClient {
 public:
  LoadClient(int index, bool churn, uint32_t seed, const World* world, Env* env)
      : index_(index), churn_(churn), rng_(seed + static_cast<uint32_t>(index) * 7919u), world_(world), env_(env) {
    grpc::ChannelArguments args;
    // Each client its own connection, as separate kubelet-like callers would have.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto channel =
        grpc::CreateCustomChannel(env->silod()->endpoint(), grpc::InsecureChannelCredentials(), args);
    rt_ = v1::RuntimeService::NewStub(channel);
    img_ = v1::ImageService::NewStub(channel);
  }

  void Run(const std::atomic<bool>* stop) {
    while (!stop->load()) churn_ ? ChurnCycle() : ReadStep();
  }

  InFlight* slot() { return &slot_; }
  const LoadStats& stats() const { return stats_; }

 private:
  template <typename Fn>
  grpc::Status Timed(const char* method, Fn fn) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    slot_.Begin(method);
    auto t0 = Steady::now();
    grpc::Status s = fn(&ctx);
    last_us_ = static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(Steady::now() - t0).count());
    slot_.End();
    return s;
  }

  void Record(const std::string& method, const grpc::Status& s, const std::string& wrong = "",
              bool expected = false) {
    stats_.Record(method, s, last_us_, expected, s.ok() ? wrong : "");
  }

  const StaticObject& AnyStatic() {
    return world_->objects[std::uniform_int_distribution<size_t>(0, world_->objects.size() - 1)(rng_)];
  }
  bool Coin() { return std::uniform_int_distribution<int>(0, 1)(rng_) == 1; }

  void ReadStep() {
    switch (pick_(rng_)) {
      case 0: return Version();
      case 1: return Status();
      case 2: return ListPods();
      case 3: return ListContainers();
      case 4: return PodStatus();
      case 5: return ContainerStatus();
      case 6: return ListContainerStats();
      case 7: return ListPodStats();
      case 8: return ContainerStats();
      case 9: return PodStats();
      case 10: return ImageStatus();
      case 11: return ListImages();
      case 12: return Exec();
      default: return StatusOfListed();
    }
  }

  void Version() {
    v1::VersionResponse resp;
    auto s = Timed("Version", [&](auto* c) { return rt_->Version(c, {}, &resp); });
    Record("Version", s, resp.runtime_api_version().empty() ? "empty runtime_api_version" : "");
  }

  void Status() {
    v1::StatusResponse resp;
    auto s = Timed("Status", [&](auto* c) { return rt_->Status(c, {}, &resp); });
    int ready = 0;
    for (const auto& cond : resp.status().conditions()) ready += cond.status() ? 1 : 0;
    Record("Status", s, ready < 2 ? resp.status().ShortDebugString() : "");
  }

  void ListPods() {
    v1::ListPodSandboxRequest req;
    const StaticObject& o = AnyStatic();
    int variant = std::uniform_int_distribution<int>(0, 3)(rng_);
    std::string name = "ListPodSandbox";
    if (variant == 1) req.mutable_filter()->set_id(o.pod), name += "(id)";
    if (variant == 2) (*req.mutable_filter()->mutable_label_selector())[kGroupLabel] = o.group, name += "(label)";
    if (variant == 3) req.mutable_filter()->mutable_state()->set_state(v1::SANDBOX_READY), name += "(state)";
    v1::ListPodSandboxResponse resp;
    auto s = Timed("ListPodSandbox", [&](auto* c) { return rt_->ListPodSandbox(c, req, &resp); });
    std::set<std::string> seen;
    std::string wrong;
    for (const auto& p : resp.items()) {
      seen.insert(p.id());
      if (variant == 1 && p.id() != o.pod) wrong = "filter by id returned " + p.id();
      if (variant == 2 && p.labels().count(kGroupLabel) && p.labels().at(kGroupLabel) != o.group) {
        wrong = "label filter returned pod " + p.id() + " of another group";
      }
      if (variant == 3 && p.state() != v1::SANDBOX_READY) wrong = "state filter returned NOTREADY pod " + p.id();
      if (world_->pod_ids.count(p.id()) && p.state() != v1::SANDBOX_READY) wrong = "static pod " + p.id() + " NOTREADY";
    }
    if (variant == 1 && resp.items_size() != 1) wrong = absl::StrCat("filter by id returned ", resp.items_size());
    if (variant != 1) {
      // Churn pods come and go; the static ones must all be there.
      int want = variant == 2 ? world_->per_group.at(o.group) : static_cast<int>(world_->pod_ids.size());
      int have = 0;
      for (const auto& id : seen) have += static_cast<int>(world_->pod_ids.count(id));
      if (have != want) wrong = absl::StrCat("listed ", have, " of ", want, " static pods");
    }
    Record(name, s, wrong);
  }

  void ListContainers() {
    v1::ListContainersRequest req;
    const StaticObject& o = AnyStatic();
    int variant = std::uniform_int_distribution<int>(0, 2)(rng_);
    std::string name = "ListContainers";
    if (variant == 1) req.mutable_filter()->set_pod_sandbox_id(o.pod), name += "(pod)";
    if (variant == 2) {
      (*req.mutable_filter()->mutable_label_selector())[kGroupLabel] = o.group;
      req.mutable_filter()->mutable_state()->set_state(v1::CONTAINER_RUNNING);
      name += "(label,state)";
    }
    v1::ListContainersResponse resp;
    auto s = Timed("ListContainers", [&](auto* c) { return rt_->ListContainers(c, req, &resp); });
    std::string wrong;
    int statics = 0;
    for (const auto& c : resp.containers()) {
      if (world_->container_ids.count(c.id()) == 0) continue;
      ++statics;
      if (c.state() != v1::CONTAINER_RUNNING) wrong = absl::StrCat("static container ", c.id(), " in state ", c.state());
      if (variant == 1 && c.pod_sandbox_id() != o.pod) wrong = "pod filter returned container of pod " + c.pod_sandbox_id();
    }
    int want = variant == 0 ? static_cast<int>(world_->objects.size()) : variant == 1 ? 1 : world_->per_group.at(o.group);
    if (statics != want) wrong = absl::StrCat("listed ", statics, " of ", want, " static containers");
    if (variant == 1 && resp.containers_size() != 1) wrong = absl::StrCat("pod filter returned ", resp.containers_size());
    if (s.ok() && variant == 0) {
      listed_.clear();
      for (const auto& c : resp.containers()) listed_.push_back(c.id());
    }
    Record(name, s, wrong);
  }

  void PodStatus() {
    v1::PodSandboxStatusRequest req;
    const StaticObject& o = AnyStatic();
    req.set_pod_sandbox_id(o.pod);
    req.set_verbose(Coin());
    v1::PodSandboxStatusResponse resp;
    auto s = Timed("PodSandboxStatus", [&](auto* c) { return rt_->PodSandboxStatus(c, req, &resp); });
    std::string wrong;
    if (resp.status().id() != o.pod || resp.status().state() != v1::SANDBOX_READY) {
      wrong = absl::StrCat("pod ", o.pod, " status id=", resp.status().id(), " state=", resp.status().state());
    } else if (req.verbose() && resp.info().empty()) {
      wrong = "verbose status without info for pod " + o.pod;
    } else if (resp.status().network().ip().empty()) {
      wrong = "pod " + o.pod + " has no IP";
    }
    Record(req.verbose() ? "PodSandboxStatus(verbose)" : "PodSandboxStatus", s, wrong);
  }

  void ContainerStatus() {
    v1::ContainerStatusRequest req;
    const StaticObject& o = AnyStatic();
    req.set_container_id(o.container);
    req.set_verbose(Coin());
    v1::ContainerStatusResponse resp;
    auto s = Timed("ContainerStatus", [&](auto* c) { return rt_->ContainerStatus(c, req, &resp); });
    std::string wrong;
    if (resp.status().id() != o.container || resp.status().state() != v1::CONTAINER_RUNNING) {
      wrong = absl::StrCat("container ", o.container, " status id=", resp.status().id(),
                           " state=", resp.status().state(), " reason=", resp.status().reason());
    }
    Record(req.verbose() ? "ContainerStatus(verbose)" : "ContainerStatus", s, wrong);
  }

  // A container from this client's last full listing: when a churn client
  // removed it meanwhile, NotFound is the right answer.
  void StatusOfListed() {
    if (listed_.empty()) return ListContainers();
    const std::string id = listed_[std::uniform_int_distribution<size_t>(0, listed_.size() - 1)(rng_)];
    v1::ContainerStatusRequest req;
    req.set_container_id(id);
    v1::ContainerStatusResponse resp;
    auto s = Timed("ContainerStatus", [&](auto* c) { return rt_->ContainerStatus(c, req, &resp); });
    bool churned = world_->container_ids.count(id) == 0;
    Record("ContainerStatus(listed)", s, resp.status().id() != id ? "status of another id" : "",
           churned && s.error_code() == grpc::StatusCode::NOT_FOUND);
  }

  void ListContainerStats() {
    v1::ListContainerStatsRequest req;
    const StaticObject& o = AnyStatic();
    bool by_pod = Coin();
    if (by_pod) req.mutable_filter()->set_pod_sandbox_id(o.pod);
    v1::ListContainerStatsResponse resp;
    auto s = Timed("ListContainerStats", [&](auto* c) { return rt_->ListContainerStats(c, req, &resp); });
    int statics = 0;
    for (const auto& st : resp.stats()) statics += world_->container_ids.count(st.attributes().id()) ? 1 : 0;
    int want = by_pod ? 1 : static_cast<int>(world_->objects.size());
    Record(by_pod ? "ListContainerStats(pod)" : "ListContainerStats", s,
           statics != want ? absl::StrCat("stats of ", statics, " of ", want, " static containers") : "");
  }

  void ListPodStats() {
    v1::ListPodSandboxStatsRequest req;
    const StaticObject& o = AnyStatic();
    bool by_id = Coin();
    if (by_id) req.mutable_filter()->set_id(o.pod);
    v1::ListPodSandboxStatsResponse resp;
    auto s = Timed("ListPodSandboxStats", [&](auto* c) { return rt_->ListPodSandboxStats(c, req, &resp); });
    int statics = 0;
    for (const auto& st : resp.stats()) statics += world_->pod_ids.count(st.attributes().id()) ? 1 : 0;
    int want = by_id ? 1 : static_cast<int>(world_->objects.size());
    Record(by_id ? "ListPodSandboxStats(id)" : "ListPodSandboxStats", s,
           statics != want ? absl::StrCat("stats of ", statics, " of ", want, " static pods") : "");
  }

  void ContainerStats() {
    v1::ContainerStatsRequest req;
    const StaticObject& o = AnyStatic();
    req.set_container_id(o.container);
    v1::ContainerStatsResponse resp;
    auto s = Timed("ContainerStats", [&](auto* c) { return rt_->ContainerStats(c, req, &resp); });
    Record("ContainerStats", s, resp.stats().attributes().id() != o.container ? "stats of another id" : "");
  }

  void PodStats() {
    v1::PodSandboxStatsRequest req;
    const StaticObject& o = AnyStatic();
    req.set_pod_sandbox_id(o.pod);
    v1::PodSandboxStatsResponse resp;
    auto s = Timed("PodSandboxStats", [&](auto* c) { return rt_->PodSandboxStats(c, req, &resp); });
    Record("PodSandboxStats", s, resp.stats().attributes().id() != o.pod ? "stats of another id" : "");
  }

  void ImageStatus() {
    v1::ImageStatusRequest req;
    req.mutable_image()->set_image(world_->image);
    req.set_verbose(Coin());
    v1::ImageStatusResponse resp;
    auto s = Timed("ImageStatus", [&](auto* c) { return img_->ImageStatus(c, req, &resp); });
    Record("ImageStatus", s, resp.image().id().empty() ? "image " + world_->image + " not present" : "");
  }

  void ListImages() {
    v1::ListImagesResponse resp;
    auto s = Timed("ListImages", [&](auto* c) { return img_->ListImages(c, {}, &resp); });
    Record("ListImages", s, resp.images_size() < 1 ? "no image listed" : "");
  }

  void Exec() { ExecIn(AnyStatic().container, "ExecSync"); }

  bool ExecIn(const std::string& id, const std::string& method) {
    v1::ExecSyncRequest req;
    req.set_container_id(id);
    std::string word = absl::StrCat("load-", index_, "-", ++execs_);
    // busybox-static has no applet links: the shell runs echo in-process.
    for (const std::string& a : {std::string("/bin/sh"), std::string("-c"), "echo " + word}) req.add_cmd(a);
    req.set_timeout(20);
    v1::ExecSyncResponse resp;
    auto s = Timed("ExecSync", [&](auto* c) { return rt_->ExecSync(c, req, &resp); });
    std::string wrong;
    if (resp.exit_code() != 0 || resp.stdout() != word + "\n") {
      wrong = absl::StrCat("exec in ", id, ": exit ", resp.exit_code(), " stdout '", resp.stdout(), "' stderr '",
                           resp.stderr(), "'");
    }
    Record(method, s, wrong);
    return s.ok() && wrong.empty();
  }

  // One pod and its container, owned by this client alone, through their
  // whole life. Every error is unexpected; on one, the pod is torn down.
  void ChurnCycle() {
    std::string name = absl::StrCat("churn-", index_, "-", ++cycles_);
    v1::PodSandboxConfig pod = env_->Pod(name);
    v1::RunPodSandboxRequest run;
    *run.mutable_config() = pod;
    v1::RunPodSandboxResponse run_resp;
    auto s = Timed("RunPodSandbox", [&](auto* c) { return rt_->RunPodSandbox(c, run, &run_resp); });
    Record("RunPodSandbox", s);
    if (!s.ok()) return;
    const std::string pod_id = run_resp.pod_sandbox_id();
    bool ok = true;
    v1::CreateContainerRequest create;
    create.set_pod_sandbox_id(pod_id);
    *create.mutable_config() = env_->Printer("app", "1");
    *create.mutable_sandbox_config() = pod;
    v1::CreateContainerResponse create_resp;
    s = Timed("CreateContainer", [&](auto* c) { return rt_->CreateContainer(c, create, &create_resp); });
    Record("CreateContainer", s);
    const std::string id = create_resp.container_id();
    ok = s.ok();
    if (ok) {
      v1::StartContainerRequest req;
      req.set_container_id(id);
      v1::StartContainerResponse resp;
      s = Timed("StartContainer", [&](auto* c) { return rt_->StartContainer(c, req, &resp); });
      Record("StartContainer", s);
      ok = s.ok();
    }
    if (ok) ok = ExecIn(id, "ExecSync(churn)");
    if (ok) {
      v1::StopContainerRequest req;
      req.set_container_id(id);
      req.set_timeout(Coin() ? 1 : 0);
      v1::StopContainerResponse resp;
      s = Timed("StopContainer", [&](auto* c) { return rt_->StopContainer(c, req, &resp); });
      Record("StopContainer", s);
      ok = s.ok();
    }
    if (ok) {
      v1::RemoveContainerRequest req;
      req.set_container_id(id);
      v1::RemoveContainerResponse resp;
      s = Timed("RemoveContainer", [&](auto* c) { return rt_->RemoveContainer(c, req, &resp); });
      Record("RemoveContainer", s);
    }
    // Even after a failure: the pod (and any container left in it) goes.
    v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(pod_id);
    v1::StopPodSandboxResponse stop_resp;
    s = Timed("StopPodSandbox", [&](auto* c) { return rt_->StopPodSandbox(c, stop, &stop_resp); });
    Record("StopPodSandbox", s);
    v1::RemovePodSandboxRequest remove;
    remove.set_pod_sandbox_id(pod_id);
    v1::RemovePodSandboxResponse remove_resp;
    s = Timed("RemovePodSandbox", [&](auto* c) { return rt_->RemovePodSandbox(c, remove, &remove_resp); });
    Record("RemovePodSandbox", s);
  }

  // Weights of ReadStep's cases: cheap reads dominate, as with kubelet;
  // exec and the all-objects stats calls are the expensive ones.
  static constexpr int kWeights[] = {4, 4, 8, 8, 8, 8, 3, 3, 5, 2, 5, 3, 3, 3};

  int index_;
  bool churn_;
  std::mt19937 rng_;
  std::discrete_distribution<int> pick_{std::begin(kWeights), std::end(kWeights)};
  const World* world_;
  Env* env_;
  std::unique_ptr<v1::RuntimeService::Stub> rt_;
  std::unique_ptr<v1::ImageService::Stub> img_;
  InFlight slot_;
  LoadStats stats_;
  uint32_t last_us_ = 0;
  int cycles_ = 0, execs_ = 0;
  std::vector<std::string> listed_;
};

// Runs fn(i) for i in [0, n) on `threads` threads.
template <typename Fn>
void ParallelFor(int n, int threads, Fn fn) {
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < n; i = next++) fn(i);
    });
  }
  for (auto& t : pool) t.join();
}

class LoadDriver {
 public:
  LoadDriver(Env* env, const Flags& flags) : env_(env), flags_(flags) {}

  int Run() {
    auto t0 = Steady::now();
    if (SetUp()) {
      std::cout << "setup: " << flags_.pods << " pods running after "
                << static_cast<int>(std::chrono::duration<double>(Steady::now() - t0).count()) << " s" << std::endl;
      Load();
    }
    CleanUp();
    return Report();
  }

 private:
  void Failure(const std::string& what) {
    std::lock_guard lock(mu_);
    failures_.push_back(what);
  }

  bool SetUp() {
    world_.image = env_->image();
    if (grpc::Status s = env_->Pull(world_.image); !s.ok()) {
      Failure("setup: pull " + world_.image + ": " + s.error_message());
      return false;
    }
    world_.objects.resize(flags_.pods);
    // Few threads: pod creation is CPU-bound on a 2-core machine.
    ParallelFor(flags_.pods, 4, [&](int i) {
      StaticObject& o = world_.objects[i];
      o.group = absl::StrCat(i % kGroups);
      v1::PodSandboxConfig pod = env_->Pod(absl::StrCat("load-", i));
      (*pod.mutable_labels())[kGroupLabel] = o.group;
      v1::ContainerConfig app = env_->Printer("app", "1");
      (*app.mutable_labels())[kGroupLabel] = o.group;
      grpc::Status s = env_->RunPod(pod, &o.pod);
      if (s.ok()) s = env_->CreateContainer(o.pod, pod, app, &o.container);
      if (s.ok()) s = env_->StartContainer(o.container);
      if (!s.ok()) Failure(absl::StrCat("setup: pod load-", i, ": ", s.error_message()));
    });
    for (const auto& o : world_.objects) {
      world_.pod_ids.insert(o.pod);
      world_.container_ids.insert(o.container);
      ++world_.per_group[o.group];
    }
    v1::PodSandboxStatusResponse st;
    if (env_->PodStatus(world_.objects[0].pod, &st).ok() && st.info().count("info")) {
      nlohmann::json info = nlohmann::json::parse(st.info().at("info"), nullptr, false);
      if (info.is_object()) {
        cgroup_parent_ = std::filesystem::path(info.value("cgroup_path", "")).parent_path().filename().string();
      }
    }
    return failures_.empty();
  }

  void Load() {
    // About one client in ten churns pods; the rest read.
    const int churners = flags_.churn_clients >= 0 ? std::min(flags_.churn_clients, flags_.clients)
                         : flags_.clients >= 2      ? std::max(1, flags_.clients / 10)
                                                    : 0;
    std::vector<std::unique_ptr<LoadClient>> clients;
    std::vector<InFlight*> slots;
    for (int i = 0; i < flags_.clients; ++i) {
      clients.push_back(std::make_unique<LoadClient>(i, i < churners, flags_.seed, &world_, env_));
      slots.push_back(clients.back()->slot());
    }
    Watchdog watchdog(env_->silod()->pid(), slots, kStuckAfter, kRssPeriod);
    watchdog.Start();
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (auto& c : clients) threads.emplace_back([&stop, c = c.get()] { c->Run(&stop); });
    std::cout << "load: " << flags_.clients << " clients (" << churners << " churning) for " << flags_.seconds
              << " s" << std::endl;
    for (int s = 0; s < flags_.seconds; ++s) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      if ((s + 1) % 30 == 0) {
        std::cout << "progress: " << s + 1 << " s, silod rss " << ReadRssMib(env_->silod()->pid()) << " MiB"
                  << std::endl;
      }
    }
    stop = true;
    for (auto& t : threads) t.join();
    watchdog.Stop();
    for (auto& c : clients) stats_.Merge(c->stats());
    deadlocks_ = watchdog.deadlocks();
    rss_ = watchdog.rss();
    if (!env_->SilodAlive()) Failure("silod died during the load");
  }

  void CleanUp() {
    if (env_->silod() == nullptr || !env_->SilodAlive()) return;
    std::vector<v1::Container> containers;
    std::vector<v1::PodSandbox> pods;
    if (!env_->ListContainers(&containers).ok() || !env_->ListPods(&pods).ok()) {
      Failure("cleanup: List calls failed");
      return;
    }
    for (const auto& p : pods) {
      if (world_.pod_ids.count(p.id()) == 0) Failure("cleanup: a churn pod was left behind: " + p.id());
    }
    ParallelFor(static_cast<int>(containers.size()), 4, [&](int i) {
      if (grpc::Status s = env_->RemoveContainer(containers[i].id()); !s.ok()) {
        Failure("cleanup: RemoveContainer " + containers[i].id() + ": " + s.error_message());
      }
    });
    ParallelFor(static_cast<int>(pods.size()), 4, [&](int i) {
      grpc::Status s = env_->StopPod(pods[i].id());
      if (s.ok()) s = env_->RemovePod(pods[i].id());
      if (!s.ok()) Failure("cleanup: removing pod " + pods[i].id() + ": " + s.error_message());
    });
    if (grpc::Status s = env_->RemoveImage(env_->image()); !s.ok()) {
      Failure("cleanup: RemoveImage " + env_->image() + ": " + s.error_message());
    }
    std::vector<std::string> found;
    CheckEmpty(*env_, cgroup_parent_, &found);
    for (const auto& f : found) Failure("leak: " + f);
  }

  int Report() {
    std::cout << "\nper-method (codes: gRPC code:count; 100 = ok status with a wrong answer)\n";
    stats_.PrintTable(std::cout);
    for (const auto& s : stats_.samples()) std::cout << "UNEXPECTED " << s << "\n";
    for (const auto& f : failures_) std::cout << "FAILURE " << f << "\n";
    double start = rss_.empty() ? 0 : rss_.front().mib;
    double end = rss_.empty() ? 0 : rss_.back().mib;
    double max = 0, warm = end;
    // Warm-up: the first sample at least 30 s (or a tenth of a short run) in.
    const double warm_at = std::min(30.0, flags_.seconds / 10.0);
    bool have_warm = false;
    std::cout << "rss samples (s:MiB):";
    for (const auto& r : rss_) {
      std::printf(" %.0f:%.1f", r.seconds, r.mib);
      max = std::max(max, r.mib);
      if (!have_warm && r.seconds >= warm_at) warm = r.mib, have_warm = true;
    }
    std::fflush(stdout);
    const double growth = end - warm;
    const double bound = 0.25 * warm + 16;
    std::printf("\nrss: start %.1f MiB, warm %.1f MiB, end %.1f MiB, max %.1f MiB, growth %.1f MiB (bound %.1f)\n",
                start, warm, end, max, growth, bound);
    bool rss_ok = !rss_.empty() && growth < bound;
    if (!rss_.empty() && !rss_ok) std::cout << "FAILURE rss growth above the bound\n";
    char result[512];
    std::snprintf(result, sizeof(result),
                  "RESULT load clients=%d pods=%d seconds=%d requests=%lld errors=%lld unexpected=%lld deadlocks=%d "
                  "rss_start_mib=%.1f rss_end_mib=%.1f rss_max_mib=%.1f rss_growth_mib=%.1f",
                  flags_.clients, flags_.pods, flags_.seconds, static_cast<long long>(stats_.Calls()),
                  static_cast<long long>(stats_.Errors()), static_cast<long long>(stats_.Unexpected()), deadlocks_,
                  start, end, max, growth);
    std::cout << "seed=" << flags_.seed << " failures=" << failures_.size() << "\n" << result << std::endl;
    return stats_.Unexpected() == 0 && deadlocks_ == 0 && failures_.empty() && rss_ok ? 0 : 1;
  }

  Env* env_;
  Flags flags_;
  World world_;
  std::string cgroup_parent_;
  std::mutex mu_;
  std::vector<std::string> failures_;
  LoadStats stats_;
  int deadlocks_ = 0;
  std::vector<RssSample> rss_;
};

}  // namespace
}  // namespace silo::reliability

int main(int argc, char** argv) {
  using namespace silo::reliability;
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) return 2;
  if (!CanRunWithCni()) {
    std::cout << kNeedsRootRuncCni;
    return 77;
  }
  std::cout << "silo_reliability_load: seed=" << flags.seed << " clients=" << flags.clients << " pods=" << flags.pods
            << " seconds=" << flags.seconds << std::endl;
  auto env = Env::Create({.cni = true});
  if (!env.ok()) {
    std::cout << "FAILURE setting up: " << env.status() << "\nRESULT load clients=" << flags.clients
              << " pods=" << flags.pods << " seconds=" << flags.seconds << " requests=0 errors=0 unexpected=0"
              << " deadlocks=0 rss_start_mib=0 rss_end_mib=0 rss_max_mib=0 rss_growth_mib=0" << std::endl;
    return 1;
  }
  return LoadDriver(env->get(), flags).Run();
}
