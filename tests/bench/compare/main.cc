// silo_bench_compare: the CRI workload driver behind run.sh.
//   silo_bench_compare registry --scratch DIR --env FILE [--big-count N] [--big-layers N] [--big-layer-mb N]
//       starts a local registry, pushes the test images, writes their
//       references to FILE (shell syntax) and serves until SIGTERM/SIGINT.
//   silo_bench_compare run --socket PATH --runtime NAME --workload W --out FILE [workload flags]
//       W: podstart | churn | density | pull | stop; results as JSON in FILE.
//   silo_bench_compare table --a NAME --b NAME FILE...
//       merges result files into one table: metric, A, B, A/B.
// Root only for `run` (pods, cgroups); never part of ctest.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "image/registry/testing/local_registry.h"
#include "runtime/base/file_util.h"
#include "tests/bench/compare/bench_images.h"
#include "tests/bench/compare/cri_client.h"
#include "tests/bench/compare/samples.h"
#include "tests/bench/compare/workloads.h"

namespace silo::bench {
namespace {

struct Args {
  std::map<std::string, std::string> flags;
  std::vector<std::string> positional;

  std::string Get(const std::string& name, const std::string& fallback = "") const {
    auto it = flags.find(name);
    return it == flags.end() ? fallback : it->second;
  }
  template <typename T>
  bool Number(const std::string& name, T* value) const {
    auto it = flags.find(name);
    if (it == flags.end()) return true;  // keep the default
    bool ok = false;
    if constexpr (std::is_same_v<T, double>) {
      ok = absl::SimpleAtod(it->second, value);
    } else {
      ok = absl::SimpleAtoi(it->second, value);
    }
    if (!ok) std::fprintf(stderr, "bad number for --%s: %s\n", name.c_str(), it->second.c_str());
    return ok;
  }
};

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      a.positional.push_back(arg);
      continue;
    }
    arg = arg.substr(2);
    if (auto eq = arg.find('='); eq != std::string::npos) {
      a.flags[arg.substr(0, eq)] = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      a.flags[arg] = argv[++i];
    } else {
      a.flags[arg] = "";
    }
  }
  return a;
}

volatile sig_atomic_t g_stop = 0;  // set by SIGTERM/SIGINT in registry mode

int Fail(const std::string& what) {
  std::fprintf(stderr, "silo_bench_compare: %s\n", what.c_str());
  return 1;
}

int Registry(const Args& args) {
  const std::string scratch = args.Get("scratch"), env = args.Get("env");
  if (scratch.empty() || env.empty()) return Fail("registry needs --scratch and --env");
  BigImageShape big;
  if (!args.Number("big-count", &big.count) || !args.Number("big-layers", &big.layers) ||
      !args.Number("big-layer-mb", &big.layer_mb)) {
    return 2;
  }
  // A handler, not a blocked mask: children (docker-registry, skopeo) must
  // not inherit blocked signals, or the registry's own SIGTERM would not stop it.
  struct sigaction sa = {};
  sa.sa_handler = [](int) { g_stop = 1; };
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  auto registry = image::registry::testing::LocalRegistry::Start();
  if (!registry.ok()) return Fail(std::string(registry.status().message()));
  auto images = PushBenchImages(registry->get(), scratch, big);
  if (!images.ok()) return Fail(std::string(images.status().message()));
  const std::string text = absl::StrCat("REGISTRY=", (*registry)->host(), "\nBUSYBOX=", images->busybox,
                                        "\nPAUSE=", images->pause, "\nBIG_PREFIX=", images->big_prefix, "\n");
  if (absl::Status s = AtomicWriteFile(env, text); !s.ok()) return Fail(std::string(s.message()));
  // Children exist now; blocking here only closes the check-then-wait race.
  sigset_t stop, old_mask;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, &old_mask);
  while (!g_stop) sigsuspend(&old_mask);
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  return 0;  // the registry's destructor stops it and removes its storage
}

int Run(const Args& args) {
  const std::string socket = args.Get("socket"), runtime = args.Get("runtime"), workload = args.Get("workload"),
                    out_path = args.Get("out");
  if (socket.empty() || runtime.empty() || workload.empty() || out_path.empty()) {
    return Fail("run needs --socket, --runtime, --workload and --out");
  }
  WorkloadOptions opts;
  opts.image = args.Get("image");
  opts.pause_image = args.Get("pause-image");
  opts.big_image = args.Get("big-image");
  opts.log_dir = args.Get("log-dir", "/tmp");
  opts.cgroup_parent = args.Get("cgroup-parent");
  opts.shim_name = args.Get("shim-name");
  opts.shim_match = args.Get("shim-match", socket);
  if (!args.Number("pods", &opts.pod_start_count) || !args.Number("rate", &opts.churn_rate) ||
      !args.Number("seconds", &opts.churn_seconds) || !args.Number("alive", &opts.churn_alive) ||
      !args.Number("density", &opts.density_pods) || !args.Number("iterations", &opts.list_iterations) ||
      !args.Number("stops", &opts.stop_count) || !args.Number("daemon-pid", &opts.daemon_pid)) {
    return 2;
  }
  if (opts.image.empty()) return Fail("run needs --image");
  if (opts.churn_rate <= 0 || opts.churn_seconds <= 0) return Fail("--rate and --seconds must be positive");

  CriClient cri(socket);
  Samples samples;
  absl::Status s = EnsureImage(cri, opts);
  if (s.ok()) {
    if (workload == "podstart") {
      s = RunPodStart(cri, opts, 1, &samples);
      if (s.ok()) s = RunPodStart(cri, opts, 3, &samples);
    } else if (workload == "churn") {
      s = RunChurn(cri, opts, &samples);
    } else if (workload == "density") {
      if (opts.daemon_pid <= 0 || opts.shim_name.empty()) return Fail("density needs --daemon-pid and --shim-name");
      s = RunDensity(cri, opts, &samples);
    } else if (workload == "pull") {
      if (opts.big_image.empty()) return Fail("pull needs --big-image");
      s = RunPull(cri, opts, &samples);
    } else if (workload == "stop") {
      s = RunStopRemove(cri, opts, &samples);
    } else {
      return Fail("unknown workload " + workload);
    }
  }
  // Whatever was measured is kept, also when the workload failed midway.
  if (absl::Status saved = samples.SaveJson(out_path, runtime); !saved.ok()) return Fail(std::string(saved.message()));
  if (!s.ok()) return Fail(absl::StrCat(runtime, " ", workload, ": ", s.message()));
  return 0;
}

int Table(const Args& args) {
  const std::string a = args.Get("a"), b = args.Get("b");
  if (a.empty() || b.empty() || args.positional.empty()) return Fail("table needs --a, --b and result files");
  Comparison cmp;
  for (const auto& f : args.positional) {
    if (absl::Status s = cmp.AddJsonFile(f); !s.ok()) return Fail(std::string(s.message()));
  }
  std::fputs(cmp.Table(a, b).c_str(), stdout);
  return 0;
}

}  // namespace
}  // namespace silo::bench

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  const auto args = silo::bench::Parse(argc, argv);
  if (mode == "registry") return silo::bench::Registry(args);
  if (mode == "run") return silo::bench::Run(args);
  if (mode == "table") return silo::bench::Table(args);
  std::fprintf(stderr, "usage: silo_bench_compare registry|run|table ... (see the header of main.cc)\n");
  return 2;
}
