// RunPodSandbox latency through the real silod with the real CNI bridge,
// host-local, portmap and loopback plugins: N sandboxes one after another,
// then p50/p99/max. Runs in a private network namespace (like the
// integration tests), so the machine's network is never touched. Root only;
// not part of ctest:
//   build/tests/bench/silo_bench_sandbox_run [count=100]
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "tests/bench/bench_util.h"
#include "tests/support/silod_process.h"

namespace {

using silo::bench::Fail;
using silo::bench::Percentile;

::runtime::v1::PodSandboxConfig Pod(int i) {
  ::runtime::v1::PodSandboxConfig c;
  std::string name = absl::StrCat("bench-", i);
  c.mutable_metadata()->set_name(name);
  c.mutable_metadata()->set_namespace_("default");
  c.mutable_metadata()->set_uid("uid-" + name);
  c.set_hostname(name);
  c.mutable_dns_config()->add_servers("10.96.0.10");
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 100;
  if (count <= 0 || count > 250) return Fail("count must be 1..250 (one /24)");
  if (::geteuid() != 0) return Fail("needs root");
  if (::unshare(CLONE_NEWNET) != 0) return Fail("unshare(CLONE_NEWNET) failed");
  if (std::system("ip link set lo up") != 0) return Fail("ip link set lo up failed");

  silo::testing::TempDir dir;
  nlohmann::json conflist = {
      {"cniVersion", "1.0.0"},
      {"name", "silo-bench"},
      {"plugins",
       {{{"type", "bridge"},
         {"bridge", "silobench0"},
         {"isGateway", true},
         {"ipam",
          {{"type", "host-local"},
           {"dataDir", dir.path() + "/ipam"},
           {"ranges", {{{{"subnet", "10.88.250.0/24"}}}}}}}},
        {{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}},
        {{"type", "loopback"}}}}};
  if (!silo::MakeDirs(dir.path() + "/cni").ok() ||
      !silo::AtomicWriteFile(dir.path() + "/cni/10-bench.conflist", conflist.dump()).ok()) {
    return Fail("cannot write the CNI config");
  }
  auto silod = silo::testing::SilodProcess::Start({.dir = dir.path()});
  if (!silod.ok()) return Fail(std::string(silod.status().message()));
  auto rt = (*silod)->RuntimeStub();

  std::vector<double> run_ms, stop_remove_ms;
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) {
    ::runtime::v1::RunPodSandboxRequest req;
    *req.mutable_config() = Pod(i);
    ::runtime::v1::RunPodSandboxResponse resp;
    grpc::ClientContext ctx;
    auto start = std::chrono::steady_clock::now();
    grpc::Status s = rt->RunPodSandbox(&ctx, req, &resp);
    run_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    if (!s.ok()) return Fail("RunPodSandbox: " + s.error_message());
    ids.push_back(resp.pod_sandbox_id());
  }
  for (const auto& id : ids) {
    auto start = std::chrono::steady_clock::now();
    grpc::ClientContext c1, c2;
    ::runtime::v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(id);
    ::runtime::v1::StopPodSandboxResponse sr;
    ::runtime::v1::RemovePodSandboxRequest rm;
    rm.set_pod_sandbox_id(id);
    ::runtime::v1::RemovePodSandboxResponse rr;
    if (!rt->StopPodSandbox(&c1, stop, &sr).ok() || !rt->RemovePodSandbox(&c2, rm, &rr).ok()) {
      return Fail("stop/remove failed for " + id);
    }
    stop_remove_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  (*silod)->Stop();
  std::system("ip link del silobench0 2>/dev/null");
  std::printf("RunPodSandbox x%d (CNI bridge): p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", count,
              Percentile(run_ms, 0.5), Percentile(run_ms, 0.99), Percentile(run_ms, 1.0));
  std::printf("Stop+RemovePodSandbox x%d: p50 %.1f ms, p99 %.1f ms\n", count, Percentile(stop_remove_ms, 0.5),
              Percentile(stop_remove_ms, 0.99));
  return 0;
}
