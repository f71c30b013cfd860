#pragma once
// The comparison workloads, run against one CRI endpoint. Each records its
// latencies (ms) and scalar results into `Samples` under runtime-neutral
// metric names, so runs against silod and containerd line up in one table.
// Every pod a workload starts is deleted before it returns, also on error.
// Not thread-safe (each creates its own threads where it needs them).

#include <string>

#include "absl/status/status.h"
#include "tests/bench/compare/cri_client.h"
#include "tests/bench/compare/samples.h"

namespace silo::bench {

struct WorkloadOptions {
  std::string image;          // workload image (busybox), pulled before use
  std::string pause_image;    // also pulled before use when set (containerd's sandbox image)
  std::string big_image;      // pull: a large many-layer image not yet pulled
  std::string log_dir;        // pod log directories are created below
  std::string cgroup_parent;  // every pod's cgroup parent (cleaned by run.sh)
  int pod_start_count = 10;   // pods per pod-start variant
  double churn_rate = 5;      // pods per second
  int churn_seconds = 20;
  int churn_alive = 10;       // pods kept alive during churn
  int density_pods = 30;
  int list_iterations = 50;   // calls per list/stats RPC at density
  int stop_count = 3;         // containers ignoring SIGTERM stopped with a 2 s grace
  int daemon_pid = -1;        // for RSS: the daemon ...
  std::string shim_name;      // ... plus processes with this name ...
  std::string shim_match;     // ... whose command line contains this
};

// Pulls opts.image and opts.pause_image where missing (untimed set-up).
absl::Status EnsureImage(CriClient& cri, const WorkloadOptions& opts);

// RunPodSandbox + CreateContainer/StartContainer x`containers` until every
// container is RUNNING; then the pod is deleted (timed separately). One
// untimed pod first absorbs one-time costs (first CNI load, caches).
absl::Status RunPodStart(CriClient& cri, const WorkloadOptions& opts, int containers, Samples* out);

// Open-loop churn: a pod started every 1/rate s, the oldest deleted while
// more than churn_alive are up. Errors are counted, not fatal.
absl::Status RunChurn(CriClient& cri, const WorkloadOptions& opts, Samples* out);

// density_pods running pods, then list/stats latency and the runtime's RSS.
absl::Status RunDensity(CriClient& cri, const WorkloadOptions& opts, Samples* out);

// Cold pull of opts.big_image (removed again afterwards).
absl::Status RunPull(CriClient& cri, const WorkloadOptions& opts, Samples* out);

// StopContainer (timeout 2 s) and RemoveContainer of a container that ignores SIGTERM.
absl::Status RunStopRemove(CriClient& cri, const WorkloadOptions& opts, Samples* out);

}  // namespace silo::bench
