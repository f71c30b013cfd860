// Stats under load through the real silod: P CNI pods (private network
// namespace, own bridge) holding N running busybox containers in total,
// then ListContainerStats and ListPodSandboxStats polled once a second for
// D seconds: p50/p99/max latency, and silod's CPU over the polling window
// (its sampler reads every container and pod each second meanwhile).
// Root only; not part of ctest:
//   build/tests/bench/silo_bench_stats [containers=100] [seconds=60] [per_pod=10]
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/bench/bench_util.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"

namespace {

using silo::bench::Call;
using silo::bench::Clock;
using silo::bench::Fail;
using silo::bench::Ms;
using silo::bench::Percentile;

// utime + stime of `pid` in clock ticks; -1 if unreadable.
long CpuTicks(pid_t pid) {
  auto stat = silo::ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return -1;
  // Fields after the ")" that ends the command name: state is field 3.
  std::vector<std::string> f = absl::StrSplit(stat->substr(stat->rfind(')') + 2), ' ');
  long utime = 0, stime = 0;
  if (f.size() < 15 || !absl::SimpleAtoi(f[11], &utime) || !absl::SimpleAtoi(f[12], &stime)) return -1;
  return utime + stime;
}

}  // namespace

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 100;
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 60;
  const int per_pod = argc > 3 ? std::atoi(argv[3]) : 10;
  if (count <= 0 || count > 1000 || seconds <= 0 || per_pod <= 0) return Fail("bad arguments");
  if (::geteuid() != 0) return Fail("needs root");
  if (::unshare(CLONE_NEWNET) != 0) return Fail("unshare(CLONE_NEWNET) failed");
  if (std::system("ip link set lo up") != 0) return Fail("ip link set lo up failed");
  auto ip_forward = silo::ReadFile("/proc/sys/net/ipv4/ip_forward");

  silo::testing::TempDir dir, scratch, logs;
  nlohmann::json conflist = {
      {"cniVersion", "1.0.0"},
      {"name", "silo-stats-bench"},
      {"plugins",
       {{{"type", "bridge"},
         {"bridge", "silostbench"},
         {"isGateway", true},
         {"ipMasq", false},
         {"ipam",
          {{"type", "host-local"},
           {"dataDir", dir.path() + "/ipam"},
           {"ranges", {{{{"subnet", "10.90.0.0/24"}}}}}}}},
        {{"type", "loopback"}}}}};
  if (!silo::MakeDirs(dir.path() + "/cni").ok() ||
      !silo::AtomicWriteFile(dir.path() + "/cni/10-bench.conflist", conflist.dump()).ok()) {
    return Fail("writing the CNI config failed");
  }
  auto started = silo::bench::StartBusyboxSilod(dir.path(), scratch.path());
  if (!started.ok()) return Fail(std::string(started.status().message()));
  const auto& silod = started->silod;
  const auto& rt = started->rt;
  const std::string& image = started->image;
  using namespace ::runtime::v1;  // NOLINT: local to main, keeps the calls readable
  grpc::Status s;

  std::vector<std::string> pods;
  int started_count = 0;
  for (int i = 0; i < count && s.ok(); ++i) {
    PodSandboxConfig pod;
    std::string name = absl::StrCat("bench-", i / per_pod);
    pod.mutable_metadata()->set_name(name);
    pod.mutable_metadata()->set_namespace_("default");
    pod.mutable_metadata()->set_uid("uid-" + name);
    pod.set_log_directory(logs.path());
    if (i % per_pod == 0) {
      RunPodSandboxRequest run;
      *run.mutable_config() = pod;
      RunPodSandboxResponse ran;
      s = Call([&](auto* c, const auto& r, auto* o) { return rt->RunPodSandbox(c, r, o); }, run, &ran);
      if (!s.ok()) break;
      pods.push_back(ran.pod_sandbox_id());
    }
    CreateContainerRequest create;
    create.set_pod_sandbox_id(pods.back());
    *create.mutable_sandbox_config() = pod;
    create.mutable_config()->mutable_metadata()->set_name(absl::StrCat("c", i));
    create.mutable_config()->mutable_image()->set_image(image);
    for (const char* a : {"/bin/busybox", "sleep", "100000"}) create.mutable_config()->add_command(a);
    CreateContainerResponse created;
    s = Call([&](auto* c, const auto& r, auto* o) { return rt->CreateContainer(c, r, o); }, create, &created);
    if (!s.ok()) break;
    StartContainerRequest start;
    start.set_container_id(created.container_id());
    StartContainerResponse started;
    s = Call([&](auto* c, const auto& r, auto* o) { return rt->StartContainer(c, r, o); }, start, &started);
    if (s.ok()) ++started_count;
  }
  if (!s.ok()) std::fprintf(stderr, "bench: setup stopped after %d containers: %s\n", started_count,
                            s.error_message().c_str());
  std::this_thread::sleep_for(std::chrono::seconds(3));  // let the sampler see every container twice

  std::vector<double> list_ctr_ms, list_pod_ms;
  int sampled_ctrs = 0, sampled_pods = 0;
  const long hz = ::sysconf(_SC_CLK_TCK);
  const long cpu0 = CpuTicks(silod->pid());
  const auto window0 = Clock::now();
  auto next = window0;
  for (int i = 0; i < seconds; ++i) {
    ListContainerStatsRequest lc;
    ListContainerStatsResponse lcr;
    auto t0 = Clock::now();
    s = Call([&](auto* c, const auto& r, auto* o) { return rt->ListContainerStats(c, r, o); }, lc, &lcr);
    auto t1 = Clock::now();
    if (!s.ok()) return Fail("ListContainerStats: " + s.error_message());
    ListPodSandboxStatsRequest lp;
    ListPodSandboxStatsResponse lpr;
    s = Call([&](auto* c, const auto& r, auto* o) { return rt->ListPodSandboxStats(c, r, o); }, lp, &lpr);
    auto t2 = Clock::now();
    if (!s.ok()) return Fail("ListPodSandboxStats: " + s.error_message());
    list_ctr_ms.push_back(Ms(t1 - t0));
    list_pod_ms.push_back(Ms(t2 - t1));
    sampled_ctrs = 0;
    for (const auto& st : lcr.stats()) sampled_ctrs += st.cpu().has_usage_nano_cores() ? 1 : 0;
    sampled_pods = 0;
    for (const auto& st : lpr.stats()) sampled_pods += st.linux().has_network() ? 1 : 0;
    next += std::chrono::seconds(1);
    std::this_thread::sleep_until(next);
  }
  const double window_s = std::chrono::duration<double>(Clock::now() - window0).count();
  const long cpu1 = CpuTicks(silod->pid());
  const double cpu_pct = 100.0 * static_cast<double>(cpu1 - cpu0) / static_cast<double>(hz) / window_s;

  std::printf("stats bench: %d running containers in %zu pods, polled every 1 s for %d s\n", started_count,
              pods.size(), seconds);
  std::printf("  last poll: %d containers with a CPU rate, %d pods with network stats\n", sampled_ctrs, sampled_pods);
  std::printf("  ListContainerStats  p50 %.2f ms  p99 %.2f ms  max %.2f ms\n", Percentile(list_ctr_ms, 0.5),
              Percentile(list_ctr_ms, 0.99), Percentile(list_ctr_ms, 1.0));
  std::printf("  ListPodSandboxStats p50 %.2f ms  p99 %.2f ms  max %.2f ms\n", Percentile(list_pod_ms, 0.5),
              Percentile(list_pod_ms, 0.99), Percentile(list_pod_ms, 1.0));
  std::printf("  silod CPU over the window: %.2f%% of one core\n", cpu_pct);

  // Removing the pods stops and removes their containers.
  for (const auto& id : pods) {
    StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(id);
    StopPodSandboxResponse stopped;
    (void)Call([&](auto* c, const auto& r, auto* o) { return rt->StopPodSandbox(c, r, o); }, stop, &stopped);
    RemovePodSandboxRequest rm;
    rm.set_pod_sandbox_id(id);
    RemovePodSandboxResponse removed;
    (void)Call([&](auto* c, const auto& r, auto* o) { return rt->RemovePodSandbox(c, r, o); }, rm, &removed);
  }
  silod->Stop();
  std::system("ip link del silostbench 2>/dev/null");
  // The bridge plugin turned forwarding on; put the old value back (procfs: no rename).
  if (FILE* f = ip_forward.ok() ? std::fopen("/proc/sys/net/ipv4/ip_forward", "w") : nullptr) {
    std::fputs(ip_forward->c_str(), f);
    std::fclose(f);
  }
  return 0;
}
