// Pod sandboxes as kubelet uses them: the metadata, labels and annotations it
// reads back from PodSandboxStatus and ListPodSandbox (its pod cache keys on
// them), the DNS configuration written to the pod's resolv.conf, the log
// directory containers log into, pod sysctls, and the node's or the pod's own
// network and IPC namespaces.
#include <sys/stat.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"
#include "tests/conformance/conformance_fixture.h"

namespace silo::testing::conformance {
namespace {

class PodSandboxConformance : public ConformanceTest {
 protected:
  ::runtime::v1::PodSandboxStatus PodStatus(const std::string& id) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    ::runtime::v1::PodSandboxStatusRequest req;
    req.set_pod_sandbox_id(id);
    ::runtime::v1::PodSandboxStatusResponse resp;
    grpc::Status s = rt_->PodSandboxStatus(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.status();
  }
  // The inode of namespace `kind` of this process, as "kind:[N]".
  static std::string OwnNamespace(const std::string& kind) {
    char buf[64] = {};
    ssize_t n = ::readlink(("/proc/self/ns/" + kind).c_str(), buf, sizeof(buf) - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }
};

SILO_EXERCISES(PodSandboxConformance, MetadataLabelsAndAnnotationsComeBackInStatusAndList,
               "PodSandboxConfig.metadata", "PodSandboxConfig.labels", "PodSandboxConfig.annotations");
TEST_F(PodSandboxConformance, MetadataLabelsAndAnnotationsComeBackInStatusAndList) {
  ::runtime::v1::PodSandboxConfig pod = PodConfig("meta");
  pod.mutable_metadata()->set_attempt(3);
  (*pod.mutable_labels())["app"] = "conformance";
  (*pod.mutable_annotations())["kubernetes.io/config.source"] = "api";
  std::string id;
  ASSERT_TRUE(RunPod(pod, &id).ok());
  ::runtime::v1::PodSandboxStatus st = PodStatus(id);
  EXPECT_EQ(st.metadata().name(), pod.metadata().name());
  EXPECT_EQ(st.metadata().namespace_(), "conformance");
  EXPECT_EQ(st.metadata().uid(), pod.metadata().uid());
  EXPECT_EQ(st.metadata().attempt(), 3u);
  EXPECT_EQ(st.state(), ::runtime::v1::SANDBOX_READY);
  EXPECT_EQ(st.labels().at("app"), "conformance");
  EXPECT_EQ(st.annotations().at("kubernetes.io/config.source"), "api");
  bool listed = false;
  for (const auto& p : ListPods()) {
    if (p.id() != id) continue;
    listed = true;
    EXPECT_EQ(p.labels().at("app"), "conformance");
    EXPECT_EQ(p.metadata().attempt(), 3u);
  }
  EXPECT_TRUE(listed);
}

SILO_EXERCISES(PodSandboxConformance, DnsConfigIsThePodsResolvConf, "PodSandboxConfig.dns_config");
TEST_F(PodSandboxConformance, DnsConfigIsThePodsResolvConf) {
  ::runtime::v1::PodSandboxConfig pod = PodConfig("dns");
  pod.mutable_dns_config()->add_servers("10.96.0.10");
  pod.mutable_dns_config()->add_searches("default.svc.cluster.local");
  pod.mutable_dns_config()->add_searches("svc.cluster.local");
  pod.mutable_dns_config()->add_options("ndots:5");
  std::string pod_id;
  ASSERT_TRUE(RunPod(pod, &pod_id).ok());
  std::string id = RunIn(pod_id, pod, Config("c", Sleeper()));
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(ShIn(id, "cat /etc/resolv.conf"),
            "nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local\noptions ndots:5\n");
}

SILO_EXERCISES(PodSandboxConformance, ContainersLogUnderTheLogDirectoryAtTheirLogPath,
               "PodSandboxConfig.log_directory", "ContainerConfig.log_path");
TEST_F(PodSandboxConformance, ContainersLogUnderTheLogDirectoryAtTheirLogPath) {
  ::runtime::v1::PodSandboxConfig pod = PodConfig("logs");
  TempDir logs;
  pod.set_log_directory(logs.path());
  std::string pod_id;
  ASSERT_TRUE(RunPod(pod, &pod_id).ok());
  ::runtime::v1::ContainerConfig c = Config("c", {"sh", "-c", "echo to-stdout; echo to-stderr >&2"});
  std::string id = RunIn(pod_id, pod, c);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(WaitState(id, ::runtime::v1::CONTAINER_EXITED).state(), ::runtime::v1::CONTAINER_EXITED);
  auto log = ReadFile(logs.path() + "/c/0.log");
  ASSERT_TRUE(log.ok()) << log.status();
  // CRI log format: "<RFC3339Nano> <stream> <F|P> <text>".
  EXPECT_TRUE(absl::StrContains(*log, " stdout F to-stdout\n")) << *log;
  EXPECT_TRUE(absl::StrContains(*log, " stderr F to-stderr\n")) << *log;
  EXPECT_EQ(Status(id).log_path(), logs.path() + "/c/0.log");
}

SILO_EXERCISES(PodSandboxConformance, PodSysctlsAreSetInThePodsNamespaces, "LinuxPodSandboxConfig.sysctls",
               "PodSandboxConfig.linux");
TEST_F(PodSandboxConformance, PodSysctlsAreSetInThePodsNamespaces) {
  ::runtime::v1::PodSandboxConfig pod = PodConfig("sysctl");
  (*pod.mutable_linux()->mutable_sysctls())["kernel.shm_rmid_forced"] = "1";
  (*pod.mutable_linux()->mutable_sysctls())["net.ipv4.ip_unprivileged_port_start"] = "80";
  std::string pod_id;
  ASSERT_TRUE(RunPod(pod, &pod_id).ok());
  std::string id = RunIn(pod_id, pod, Config("c", Sleeper()));
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(ShIn(id, "cat /proc/sys/kernel/shm_rmid_forced /proc/sys/net/ipv4/ip_unprivileged_port_start"),
            "1\n80\n");
}

SILO_EXERCISES(PodSandboxConformance, NodeNetworkAndIpcAreTheNodesOwnAndPodOnesAreNew,
               "LinuxSandboxSecurityContext.namespace_options", "NamespaceOption.network", "NamespaceOption.ipc",
               "PodSandboxConfig.linux", "LinuxPodSandboxConfig.security_context");
TEST_F(PodSandboxConformance, NodeNetworkAndIpcAreTheNodesOwnAndPodOnesAreNew) {
  ::runtime::v1::PodSandboxConfig node = PodConfig("nodens");
  auto* ns = node.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  ns->set_network(::runtime::v1::NODE);
  ns->set_ipc(::runtime::v1::NODE);
  std::string node_pod;
  ASSERT_TRUE(RunPod(node, &node_pod).ok());
  std::string on_node = RunIn(node_pod, node, Config("n", Sleeper()));
  ::runtime::v1::PodSandboxConfig own = PodConfig("ownns");
  std::string own_pod;
  ASSERT_TRUE(RunPod(own, &own_pod).ok());
  std::string a = RunIn(own_pod, own, Config("a", Sleeper()));
  std::string b = RunIn(own_pod, own, Config("b", Sleeper()));
  ASSERT_FALSE(on_node.empty() || a.empty() || b.empty());
  for (const char* kind : {"net", "ipc"}) {
    std::string cmd = absl::StrCat("readlink /proc/self/ns/", kind);
    EXPECT_EQ(ShIn(on_node, cmd), OwnNamespace(kind) + "\n") << kind;
    EXPECT_NE(ShIn(a, cmd), OwnNamespace(kind) + "\n") << kind;
    EXPECT_EQ(ShIn(a, cmd), ShIn(b, cmd)) << kind << " is shared by the pod's containers";
  }
  // The pod's containers share /dev/shm; the pod's own network has only lo.
  ShIn(a, "echo shared > /dev/shm/f");
  EXPECT_EQ(ShIn(b, "cat /dev/shm/f"), "shared\n");
  EXPECT_EQ(ShIn(a, "ls /sys/class/net"), "lo\n");
}

}  // namespace
}  // namespace silo::testing::conformance
