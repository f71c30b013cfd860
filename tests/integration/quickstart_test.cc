// The README's quick start, as CI can run it without crictl: the walkthrough's
// sequence (pull, runp, create, start, logs, exec, stats, stopp, rmp) through
// the CRI stubs, on exactly what deploy/quickstart/setup.sh writes.
#include <unistd.h>

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "runtime/base/file_util.h"
#include "tests/support/quickstart_pod.h"

namespace silo::testing {
namespace {

using QuickStartTest = QuickStartPodTest;

// "10.88.0.0/16" -> "10.88." (the candidates are /16 or /24).
std::string SubnetPrefix(const std::string& subnet) {
  std::vector<std::string> octets = absl::StrSplit(subnet.substr(0, subnet.find('/')), '.');
  const bool wide = absl::EndsWith(subnet, "/16");
  return wide ? octets[0] + "." + octets[1] + "." : octets[0] + "." + octets[1] + "." + octets[2] + ".";
}

TEST_F(QuickStartTest, ReadmeWalkthroughRunsAPodWhoseLogExecAndStatsWork) {
  {
    grpc::ClientContext ctx;
    ::runtime::v1::StatusResponse status;
    ASSERT_TRUE(rt_->Status(&ctx, {}, &status).ok());
    for (const auto& c : status.status().conditions()) {
      EXPECT_TRUE(c.status()) << c.type() << ": " << c.reason() << " " << c.message();
    }
  }
  const auto pod = PodConfig();
  const auto container = ContainerConfig();
  Pull(container.image().image());                     // crictl pull
  const std::string pod_id = RunPod(pod);               // crictl runp pod.json
  ASSERT_FALSE(pod_id.empty());
  const std::string id = CreateAndStart(pod_id, pod, container);  // crictl create + start
  ASSERT_FALSE(id.empty());

  {  // The pod got an address from the quick start's subnet.
    grpc::ClientContext ctx;
    ::runtime::v1::PodSandboxStatusRequest req;
    req.set_pod_sandbox_id(pod_id);
    ::runtime::v1::PodSandboxStatusResponse resp;
    ASSERT_TRUE(rt_->PodSandboxStatus(&ctx, req, &resp).ok());
    EXPECT_TRUE(absl::StartsWith(resp.status().network().ip(), SubnetPrefix(subnet_)))
        << resp.status().network().ip() << " not in " << subnet_;
  }

  // crictl logs: the CRI log file under the pod's log directory.
  const std::string log = pod.log_directory() + "/" + container.log_path();
  std::string text;
  for (int i = 0; i < 200 && !absl::StrContains(text, "hello from silo"); ++i) {
    text = ReadFile(log).value_or("");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(absl::StrContains(text, " stdout F hello from silo")) << text;

  // crictl exec: the container sees the pod's interface.
  auto exec = Exec(id, {"busybox", "ip", "-4", "addr", "show", "eth0"});
  EXPECT_EQ(exec.exit_code(), 0) << exec.stderr();
  EXPECT_TRUE(absl::StrContains(exec.stdout(), "inet " + SubnetPrefix(subnet_))) << exec.stdout();

  {  // crictl stats: the sampler has read the container's cgroup.
    ::runtime::v1::ContainerStatsResponse stats;
    for (int i = 0; i < 100 && !stats.stats().memory().has_working_set_bytes(); ++i) {
      grpc::ClientContext ctx;
      ::runtime::v1::ContainerStatsRequest req;
      req.set_container_id(id);
      ASSERT_TRUE(rt_->ContainerStats(&ctx, req, &stats).ok());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_GT(stats.stats().memory().working_set_bytes().value(), 0u);
    EXPECT_TRUE(stats.stats().cpu().has_usage_core_nano_seconds());
  }

  StopAndRemovePod(pod_id);  // crictl stopp + rmp
  grpc::ClientContext ctx;
  ::runtime::v1::ListContainersResponse list;
  ASSERT_TRUE(rt_->ListContainers(&ctx, {}, &list).ok());
  EXPECT_EQ(list.containers_size(), 0);
}

}  // namespace
}  // namespace silo::testing
