// CreateContainer + StartContainer latency through the real silod, silo-shim
// and runc: one host-network pod, N containers (busybox sleep) one after
// another, each started and polled until RUNNING; then p50/p99 of create,
// start and both, the RSS of every silo-shim (min/median/max) and silod's
// RSS. Everything is removed afterwards. Root only; not part of ctest:
//   build/tests/bench/silo_bench_container_start [count=100]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/bench/bench_util.h"
#include "runtime/base/file_util.h"

namespace {

using silo::bench::Call;
using silo::bench::Clock;
using silo::bench::Fail;
using silo::bench::Ms;
using silo::bench::Percentile;

long RssKiB(int pid) {
  auto status = silo::ReadFile(absl::StrCat("/proc/", pid, "/status"));
  if (!status.ok()) return -1;
  for (absl::string_view line : absl::StrSplit(*status, '\n')) {
    if (!absl::ConsumePrefix(&line, "VmRSS:")) continue;
    line = absl::StripAsciiWhitespace(line);
    absl::ConsumeSuffix(&line, " kB");
    long kib = -1;
    return absl::SimpleAtoi(line, &kib) ? kib : -1;
  }
  return -1;
}

// Pids of silo-shim processes whose socket lives under `state_dir`.
std::vector<int> ShimPids(const std::string& state_dir) {
  std::vector<int> pids;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    int pid = 0;
    if (!absl::SimpleAtoi(e.path().filename().string(), &pid)) continue;
    auto cmdline = silo::ReadFile(e.path().string() + "/cmdline");
    if (!cmdline.ok()) continue;
    std::vector<std::string> argv = absl::StrSplit(*cmdline, '\0');
    if (std::filesystem::path(argv[0]).filename() != "silo-shim") continue;
    for (size_t i = 1; i + 1 < argv.size(); ++i) {
      if (argv[i] == "--socket" && absl::StartsWith(argv[i + 1], state_dir + "/")) pids.push_back(pid);
    }
  }
  return pids;
}

}  // namespace

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 100;
  if (count <= 0 || count > 1000) return Fail("count must be 1..1000");
  if (::geteuid() != 0) return Fail("needs root");

  silo::testing::TempDir dir, scratch, logs;
  auto started = silo::bench::StartBusyboxSilod(dir.path(), scratch.path());
  if (!started.ok()) return Fail(std::string(started.status().message()));
  const auto& silod = started->silod;
  const auto& rt = started->rt;
  const std::string& image = started->image;
  using namespace ::runtime::v1;  // NOLINT: local to main, keeps the calls readable
  grpc::Status s;

  PodSandboxConfig pod;
  auto pod_id = silo::bench::RunHostNetworkPod(rt.get(), "bench-pod", logs.path(), &pod);
  if (!pod_id.ok()) return Fail(std::string(pod_id.status().message()));

  std::vector<double> create_ms, start_ms, both_ms;
  std::vector<std::string> ids;
  int failures = 0;
  for (int i = 0; i < count && failures == 0; ++i) {
    CreateContainerRequest create;
    create.set_pod_sandbox_id(*pod_id);
    *create.mutable_sandbox_config() = pod;
    ContainerConfig* config = create.mutable_config();
    config->mutable_metadata()->set_name(absl::StrCat("c", i));
    config->mutable_image()->set_image(image);
    for (const char* a : {"/bin/busybox", "sleep", "100000"}) config->add_command(a);
    config->set_log_path(absl::StrCat("c", i, ".log"));
    CreateContainerResponse created;
    auto t0 = Clock::now();
    s = Call([&](auto* c, const auto& r, auto* o) { return rt->CreateContainer(c, r, o); }, create, &created);
    auto t1 = Clock::now();
    if (!s.ok()) {
      ++failures;
      std::fprintf(stderr, "bench: CreateContainer %d: %s\n", i, s.error_message().c_str());
      break;
    }
    ids.push_back(created.container_id());
    StartContainerRequest start;
    start.set_container_id(created.container_id());
    StartContainerResponse started;
    s = Call([&](auto* c, const auto& r, auto* o) { return rt->StartContainer(c, r, o); }, start, &started);
    ContainerStatusRequest status_req;
    status_req.set_container_id(created.container_id());
    ContainerStatusResponse status;
    while (s.ok()) {
      s = Call([&](auto* c, const auto& r, auto* o) { return rt->ContainerStatus(c, r, o); }, status_req, &status);
      if (!s.ok() || status.status().state() == CONTAINER_RUNNING) break;
      if (status.status().state() != CONTAINER_CREATED) {
        s = grpc::Status(grpc::StatusCode::INTERNAL, "container left CREATED but is not RUNNING");
      }
    }
    auto t2 = Clock::now();
    if (!s.ok()) {
      ++failures;
      std::fprintf(stderr, "bench: StartContainer %d: %s\n", i, s.error_message().c_str());
      break;
    }
    create_ms.push_back(Ms(t1 - t0));
    start_ms.push_back(Ms(t2 - t1));
    both_ms.push_back(Ms(t2 - t0));
  }

  std::vector<long> shim_rss;
  for (int pid : ShimPids(silod->state())) {
    long kib = RssKiB(pid);
    if (kib > 0) shim_rss.push_back(kib);
  }
  std::sort(shim_rss.begin(), shim_rss.end());
  const long silod_rss = RssKiB(silod->pid());

  for (const auto& id : ids) {
    RemoveContainerRequest rm;
    rm.set_container_id(id);
    RemoveContainerResponse removed;
    s = Call([&](auto* c, const auto& r, auto* o) { return rt->RemoveContainer(c, r, o); }, rm, &removed);
    if (!s.ok()) std::fprintf(stderr, "bench: RemoveContainer %s: %s\n", id.c_str(), s.error_message().c_str());
  }
  silo::bench::RemovePod(rt.get(), *pod_id);
  silod->Stop();

  if (create_ms.empty()) return Fail("no container started");
  const int n = static_cast<int>(create_ms.size());
  std::printf("CreateContainer x%d: p50 %.1f ms, p99 %.1f ms\n", n, Percentile(create_ms, 0.5),
              Percentile(create_ms, 0.99));
  std::printf("StartContainer until RUNNING x%d: p50 %.1f ms, p99 %.1f ms\n", n, Percentile(start_ms, 0.5),
              Percentile(start_ms, 0.99));
  std::printf("Create+Start x%d: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", n, Percentile(both_ms, 0.5),
              Percentile(both_ms, 0.99), Percentile(both_ms, 1.0));
  if (!shim_rss.empty()) {
    std::printf("silo-shim RSS x%zu: min %.1f MiB, median %.1f MiB, max %.1f MiB\n", shim_rss.size(),
                shim_rss.front() / 1024.0, shim_rss[shim_rss.size() / 2] / 1024.0, shim_rss.back() / 1024.0);
  }
  std::printf("silod RSS with %d containers: %.1f MiB\n", n, silod_rss / 1024.0);
  return failures == 0 ? 0 : 1;
}
