#include "tests/bench/compare/workloads.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"
#include "runtime/base/ids.h"
#include "runtime/base/status_macros.h"
#include "tests/bench/compare/process_rss.h"

namespace silo::bench {
namespace {

namespace v1 = ::runtime::v1;
using Clock = std::chrono::steady_clock;
using RuntimeStub = v1::RuntimeService::Stub;
using ImageStub = v1::ImageService::Stub;

double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

absl::Status RpcError(const std::string& what, const grpc::Status& s) {
  return absl::InternalError(absl::StrCat(what, ": ", s.error_message()));
}

std::string UniqueName(const std::string& prefix) {
  static std::atomic<int> seq{0};
  return absl::StrCat(prefix, "-", RandomHex(3), "-", seq.fetch_add(1));
}

const std::vector<std::string> kSleep = {"/bin/busybox", "sleep", "100000"};
// PID 1 ignores SIGTERM anyway; the explicit trap keeps that true whatever
// init a runtime might insert.
const std::vector<std::string> kIgnoreTerm = {"/bin/sh", "-c", "trap '' TERM; while :; do sleep 1; done"};

struct Pod {
  std::string id;
  v1::PodSandboxConfig config;
  std::vector<std::string> containers;
};

v1::PodSandboxConfig PodConfig(const WorkloadOptions& opts, const std::string& name) {
  v1::PodSandboxConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_metadata()->set_namespace_("bench");
  c.mutable_metadata()->set_uid("uid-" + name);
  c.set_hostname(name);
  c.set_log_directory(opts.log_dir + "/" + name);
  if (!opts.cgroup_parent.empty()) c.mutable_linux()->set_cgroup_parent(opts.cgroup_parent);
  // What kubelet sends for an ordinary pod: its own PID namespace per
  // container (the proto default, POD, asks for a shared one, which costs a
  // pod init process on runtimes without a pause container).
  c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(v1::CONTAINER);
  (*c.mutable_labels())["silo-bench"] = "compare";
  return c;
}

// Stops and removes a pod's containers, then the pod (kubelet's order).
// Best effort: every step runs even after a failure; the first error is returned.
absl::Status DeletePod(CriClient& cri, const Pod& pod, Samples* out, const std::string& metric) {
  auto t0 = Clock::now();
  absl::Status first;
  auto note = [&](const std::string& what, const grpc::Status& s) {
    if (!s.ok() && first.ok()) first = RpcError(what, s);
  };
  for (const auto& id : pod.containers) {
    v1::StopContainerRequest req;
    req.set_container_id(id);
    v1::StopContainerResponse resp;
    note("StopContainer " + id, CriClient::Invoke(cri.runtime(), &RuntimeStub::StopContainer, req, &resp).status);
  }
  {
    v1::StopPodSandboxRequest req;
    req.set_pod_sandbox_id(pod.id);
    v1::StopPodSandboxResponse resp;
    CallResult r = CriClient::Invoke(cri.runtime(), &RuntimeStub::StopPodSandbox, req, &resp);
    note("StopPodSandbox " + pod.id, r.status);
    if (r.status.ok() && out) out->Add(metric + " StopPodSandbox ms", r.ms);
  }
  for (const auto& id : pod.containers) {
    v1::RemoveContainerRequest req;
    req.set_container_id(id);
    v1::RemoveContainerResponse resp;
    note("RemoveContainer " + id, CriClient::Invoke(cri.runtime(), &RuntimeStub::RemoveContainer, req, &resp).status);
  }
  {
    v1::RemovePodSandboxRequest req;
    req.set_pod_sandbox_id(pod.id);
    v1::RemovePodSandboxResponse resp;
    CallResult r = CriClient::Invoke(cri.runtime(), &RuntimeStub::RemovePodSandbox, req, &resp);
    note("RemovePodSandbox " + pod.id, r.status);
    if (r.status.ok() && out) out->Add(metric + " RemovePodSandbox ms", r.ms);
  }
  if (first.ok() && out) out->Add(metric + " delete total ms", MsSince(t0));
  return first;
}

// Runs a pod with `commands.size()` containers and waits until all are
// RUNNING. Records per-call latencies under `metric` when `out` is set and
// the whole start (the pod-start figure) as "<metric> total ms".
absl::StatusOr<Pod> StartPod(CriClient& cri, const WorkloadOptions& opts,
                             const std::vector<std::vector<std::string>>& commands, Samples* out,
                             const std::string& metric) {
  Pod pod;
  pod.config = PodConfig(opts, UniqueName("bench"));
  SILO_RETURN_IF_ERROR(MakeDirs(pod.config.log_directory()));
  auto record = [&](const std::string& call, double ms) {
    if (out) out->Add(absl::StrCat(metric, " ", call, " ms"), ms);
  };
  auto fail = [&](absl::Status s) {
    if (!pod.id.empty()) (void)DeletePod(cri, pod, nullptr, "");
    return s;
  };

  auto t0 = Clock::now();
  v1::RunPodSandboxRequest run;
  *run.mutable_config() = pod.config;
  v1::RunPodSandboxResponse ran;
  CallResult r = CriClient::Invoke(cri.runtime(), &RuntimeStub::RunPodSandbox, run, &ran);
  if (!r.status.ok()) return fail(RpcError("RunPodSandbox " + pod.config.metadata().name(), r.status));
  pod.id = ran.pod_sandbox_id();
  record("RunPodSandbox", r.ms);

  for (size_t i = 0; i < commands.size(); ++i) {
    v1::CreateContainerRequest create;
    create.set_pod_sandbox_id(pod.id);
    *create.mutable_sandbox_config() = pod.config;
    v1::ContainerConfig* c = create.mutable_config();
    c->mutable_metadata()->set_name(absl::StrCat("c", i));
    c->mutable_image()->set_image(opts.image);
    for (const auto& a : commands[i]) c->add_command(a);
    c->set_log_path(absl::StrCat("c", i, ".log"));
    v1::CreateContainerResponse created;
    r = CriClient::Invoke(cri.runtime(), &RuntimeStub::CreateContainer, create, &created);
    if (!r.status.ok()) return fail(RpcError("CreateContainer in pod " + pod.id, r.status));
    pod.containers.push_back(created.container_id());
    record("CreateContainer", r.ms);

    v1::StartContainerRequest start;
    start.set_container_id(created.container_id());
    v1::StartContainerResponse started;
    r = CriClient::Invoke(cri.runtime(), &RuntimeStub::StartContainer, start, &started);
    if (!r.status.ok()) return fail(RpcError("StartContainer " + created.container_id(), r.status));
    record("StartContainer", r.ms);
  }

  // Until every container reports RUNNING (StartContainer may return earlier).
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  for (const auto& id : pod.containers) {
    v1::ContainerStatusRequest req;
    req.set_container_id(id);
    while (true) {
      v1::ContainerStatusResponse resp;
      r = CriClient::Invoke(cri.runtime(), &RuntimeStub::ContainerStatus, req, &resp);
      if (!r.status.ok()) return fail(RpcError("ContainerStatus " + id, r.status));
      if (resp.status().state() == v1::CONTAINER_RUNNING) break;
      if (resp.status().state() != v1::CONTAINER_CREATED || Clock::now() > deadline) {
        return fail(absl::InternalError(
            absl::StrCat("container ", id, " is ", v1::ContainerState_Name(resp.status().state()), ", not RUNNING")));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  record("total", MsSince(t0));
  return pod;
}

// Deletes every pod in `pods` with `threads` workers; the first error.
absl::Status DeleteAll(CriClient& cri, std::vector<Pod> pods, int threads) {
  std::mutex mu;
  absl::Status first;
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (size_t i = next++; i < pods.size(); i = next++) {
        absl::Status s = DeletePod(cri, pods[i], nullptr, "");
        std::lock_guard<std::mutex> lock(mu);
        if (!s.ok() && first.ok()) first = s;
      }
    });
  }
  for (auto& w : workers) w.join();
  return first;
}

}  // namespace

absl::Status EnsureImage(CriClient& cri, const WorkloadOptions& opts) {
  for (const std::string& image : {opts.image, opts.pause_image}) {
    if (image.empty()) continue;
    v1::ImageStatusRequest req;
    req.mutable_image()->set_image(image);
    v1::ImageStatusResponse resp;
    CallResult r = CriClient::Invoke(cri.images(), &ImageStub::ImageStatus, req, &resp);
    if (r.status.ok() && resp.has_image()) continue;
    v1::PullImageRequest pull;
    pull.mutable_image()->set_image(image);
    v1::PullImageResponse pulled;
    r = CriClient::Invoke(cri.images(), &ImageStub::PullImage, pull, &pulled);
    if (!r.status.ok()) return RpcError("PullImage " + image, r.status);
  }
  return absl::OkStatus();
}

absl::Status RunPodStart(CriClient& cri, const WorkloadOptions& opts, int containers, Samples* out) {
  const std::string metric = absl::StrCat("pod start ", containers, "c");
  std::vector<std::vector<std::string>> commands(static_cast<size_t>(containers), kSleep);
  SILO_ASSIGN_OR_RETURN(Pod warm, StartPod(cri, opts, commands, nullptr, ""));
  SILO_RETURN_IF_ERROR(DeletePod(cri, warm, nullptr, ""));
  for (int i = 0; i < opts.pod_start_count; ++i) {
    SILO_ASSIGN_OR_RETURN(Pod pod, StartPod(cri, opts, commands, out, metric));
    SILO_RETURN_IF_ERROR(DeletePod(cri, pod, out, absl::StrCat("pod ", containers, "c")));
  }
  return absl::OkStatus();
}

absl::Status RunChurn(CriClient& cri, const WorkloadOptions& opts, Samples* out) {
  const std::string metric = absl::StrCat("churn ", opts.churn_rate, "/s");
  // Enough concurrency for the rate; beyond it a tick is counted as missed
  // (the runtime cannot keep up) rather than piling up threads.
  const int max_in_flight = std::max(8, static_cast<int>(opts.churn_rate * 4));
  std::mutex mu;
  std::deque<Pod> alive;
  std::atomic<int> in_flight{0}, errors{0}, missed{0}, started{0};
  std::vector<std::thread> threads;
  const auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / opts.churn_rate));
  const auto t0 = Clock::now();
  const auto end = t0 + std::chrono::seconds(opts.churn_seconds);
  for (auto tick = t0; tick < end; tick += period) {
    std::this_thread::sleep_until(tick);
    if (in_flight.load() >= max_in_flight) {
      ++missed;
      continue;
    }
    ++in_flight;
    threads.emplace_back([&] {
      auto pod = StartPod(cri, opts, {kSleep}, out, metric);
      if (!pod.ok()) {
        ++errors;
        std::fprintf(stderr, "churn: %s\n", std::string(pod.status().message()).c_str());
      } else {
        ++started;
        std::optional<Pod> victim;
        {
          std::lock_guard<std::mutex> lock(mu);
          alive.push_back(*std::move(pod));
          if (static_cast<int>(alive.size()) > opts.churn_alive) {
            victim = std::move(alive.front());
            alive.pop_front();
          }
        }
        if (victim) {
          absl::Status s = DeletePod(cri, *victim, out, metric);
          if (!s.ok()) {
            ++errors;
            std::fprintf(stderr, "churn: %s\n", std::string(s.message()).c_str());
          }
        }
      }
      --in_flight;
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  out->Set(metric + " pods started/s", started.load() / seconds);
  out->Set(metric + " errors", errors.load());
  out->Set(metric + " missed ticks", missed.load());
  return DeleteAll(cri, {std::make_move_iterator(alive.begin()), std::make_move_iterator(alive.end())}, 4);
}

absl::Status RunDensity(CriClient& cri, const WorkloadOptions& opts, Samples* out) {
  std::vector<Pod> pods;
  absl::Status status;
  for (int i = 0; i < opts.density_pods && status.ok(); ++i) {
    auto pod = StartPod(cri, opts, {kSleep}, nullptr, "");
    if (pod.ok()) {
      pods.push_back(*std::move(pod));
    } else {
      status = Annotate(pod.status(), absl::StrCat("density pod ", i));
    }
  }
  if (status.ok()) {
    const std::string at = absl::StrCat(" @", opts.density_pods, " pods ms");
    // Let both runtimes' stats collection see every container once.
    std::this_thread::sleep_for(std::chrono::seconds(2));
    for (int i = 0; i < opts.list_iterations && status.ok(); ++i) {
      v1::ListPodSandboxRequest lp;
      v1::ListPodSandboxResponse lpr;
      CallResult r = CriClient::Invoke(cri.runtime(), &RuntimeStub::ListPodSandbox, lp, &lpr);
      if (!r.status.ok()) status = RpcError("ListPodSandbox", r.status);
      else if (lpr.items_size() < opts.density_pods) status = absl::InternalError("ListPodSandbox misses pods");
      out->Add("ListPodSandbox" + at, r.ms);

      v1::ListContainersRequest lc;
      v1::ListContainersResponse lcr;
      r = CriClient::Invoke(cri.runtime(), &RuntimeStub::ListContainers, lc, &lcr);
      if (!r.status.ok()) status = RpcError("ListContainers", r.status);
      else if (lcr.containers_size() < opts.density_pods) status = absl::InternalError("ListContainers misses containers");
      out->Add("ListContainers" + at, r.ms);

      v1::ListContainerStatsRequest ls;
      v1::ListContainerStatsResponse lsr;
      r = CriClient::Invoke(cri.runtime(), &RuntimeStub::ListContainerStats, ls, &lsr);
      if (!r.status.ok()) status = RpcError("ListContainerStats", r.status);
      out->Add("ListContainerStats" + at, r.ms);

      v1::ListPodSandboxStatsRequest lps;
      v1::ListPodSandboxStatsResponse lpsr;
      r = CriClient::Invoke(cri.runtime(), &RuntimeStub::ListPodSandboxStats, lps, &lpsr);
      if (!r.status.ok()) status = RpcError("ListPodSandboxStats", r.status);
      out->Add("ListPodSandboxStats" + at, r.ms);
    }
    long daemon = RssKiB(opts.daemon_pid), shims = 0;
    std::vector<int> shim_pids = FindProcesses(opts.shim_name, opts.shim_match);
    for (int pid : shim_pids) shims += std::max(0L, RssKiB(pid));
    const std::string n = absl::StrCat(" @", opts.density_pods, " pods");
    out->Set("RSS daemon+shims MiB" + n, (daemon + shims) / 1024.0);
    out->Set("RSS daemon MiB" + n, daemon / 1024.0);
    out->Set("RSS shims MiB" + n, shims / 1024.0);
    out->Set("shim processes" + n, static_cast<double>(shim_pids.size()));
    if (daemon <= 0) status = absl::InternalError(absl::StrCat("no RSS for daemon pid ", opts.daemon_pid));
  }
  absl::Status deleted = DeleteAll(cri, std::move(pods), 2);
  return status.ok() ? deleted : status;
}

absl::Status RunPull(CriClient& cri, const WorkloadOptions& opts, Samples* out) {
  v1::RemoveImageRequest rm;
  rm.mutable_image()->set_image(opts.big_image);
  v1::RemoveImageResponse removed;
  (void)CriClient::Invoke(cri.images(), &ImageStub::RemoveImage, rm, &removed);  // normally absent

  v1::PullImageRequest pull;
  pull.mutable_image()->set_image(opts.big_image);
  v1::PullImageResponse pulled;
  CallResult r = CriClient::Invoke(cri.images(), &ImageStub::PullImage, pull, &pulled, std::chrono::seconds(900));
  if (!r.status.ok()) return RpcError("PullImage " + opts.big_image, r.status);
  out->Add("cold pull big image ms", r.ms);
  // Frees the disk; the next round pulls a different image anyway.
  r = CriClient::Invoke(cri.images(), &ImageStub::RemoveImage, rm, &removed);
  return r.status.ok() ? absl::OkStatus() : RpcError("RemoveImage " + opts.big_image, r.status);
}

absl::Status RunStopRemove(CriClient& cri, const WorkloadOptions& opts, Samples* out) {
  for (int i = 0; i < opts.stop_count; ++i) {
    SILO_ASSIGN_OR_RETURN(Pod pod, StartPod(cri, opts, {kIgnoreTerm}, nullptr, ""));
    v1::StopContainerRequest stop;
    stop.set_container_id(pod.containers[0]);
    stop.set_timeout(2);
    v1::StopContainerResponse stopped;
    CallResult r = CriClient::Invoke(cri.runtime(), &RuntimeStub::StopContainer, stop, &stopped);
    absl::Status s = r.status.ok() ? absl::OkStatus() : RpcError("StopContainer " + pod.containers[0], r.status);
    if (s.ok()) out->Add("StopContainer ignoring SIGTERM, 2 s grace ms", r.ms);
    v1::RemoveContainerRequest rmc;
    rmc.set_container_id(pod.containers[0]);
    v1::RemoveContainerResponse rmcd;
    r = CriClient::Invoke(cri.runtime(), &RuntimeStub::RemoveContainer, rmc, &rmcd);
    if (s.ok() && !r.status.ok()) s = RpcError("RemoveContainer " + pod.containers[0], r.status);
    if (s.ok()) {
      out->Add("RemoveContainer after stop ms", r.ms);
      pod.containers.clear();  // gone; DeletePod would fail on it
    }
    absl::Status d = DeletePod(cri, pod, nullptr, "");
    SILO_RETURN_IF_ERROR(s);
    SILO_RETURN_IF_ERROR(d);
  }
  return absl::OkStatus();
}

}  // namespace silo::bench
