// NamespaceOption.pid: NODE (the node's PID namespace: host processes are
// visible), POD (one namespace for the pod's containers; the proto's default
// value), CONTAINER (what kubelet sends by default: the container alone, its
// own process is PID 1) and TARGET (the
// namespace of container target_id, as for ephemeral debug containers).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "tests/conformance/conformance_fixture.h"

namespace silo::testing::conformance {
namespace {

using ::runtime::v1::NamespaceMode;

class PidNamespaceConformance : public ConformanceTest {
 protected:
  // A pod with its own network and `mode` for PID, and a container config
  // carrying the same mode (kubelet sets both).
  std::string Pod(const std::string& suffix, NamespaceMode mode, ::runtime::v1::PodSandboxConfig* pod) {
    *pod = PodConfig(suffix);
    pod->mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(mode);
    std::string id;
    grpc::Status s = RunPod(*pod, &id);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return id;
  }
  ::runtime::v1::ContainerConfig WithPid(const std::string& name, std::vector<std::string> cmd, NamespaceMode mode,
                                         const std::string& target = "") {
    ::runtime::v1::ContainerConfig c = Config(name, std::move(cmd));
    auto* ns = c.mutable_linux()->mutable_security_context()->mutable_namespace_options();
    ns->set_pid(mode);
    if (!target.empty()) ns->set_target_id(target);
    return c;
  }
  // True when a process whose command line contains `needle` is visible in
  // container `id`.
  bool Sees(const std::string& id, const std::string& needle) {
    // "361[4]" matches "3614" but not grep's own command line.
    std::string pattern = absl::StrCat(needle.substr(0, needle.size() - 1), "[", needle.substr(needle.size() - 1), "]");
    // -q: a match wins even when some process ended between the glob and
    // its read (without it grep exits 2 on that error, match or not).
    ExecResult r = Exec(id, {"sh", "-c", absl::StrCat("grep -q -s -a -- '", pattern, "' /proc/[0-9]*/cmdline")});
    EXPECT_TRUE(r.status.ok()) << r.status.error_message();
    return r.exit_code == 0;
  }
};

SILO_EXERCISES(PidNamespaceConformance, NodeModeSeesHostProcesses, "NamespaceOption.pid",
               "LinuxContainerSecurityContext.namespace_options");
TEST_F(PidNamespaceConformance, NodeModeSeesHostProcesses) {
  pid_t host = ::fork();
  ASSERT_GE(host, 0);
  if (host == 0) {
    ::execlp("sleep", "sleep", "3611", nullptr);
    ::_exit(127);
  }
  ::runtime::v1::PodSandboxConfig pod;
  std::string pod_id = Pod("hostpid", ::runtime::v1::NODE, &pod);
  std::string id = RunIn(pod_id, pod, WithPid("c", Sleeper(), ::runtime::v1::NODE));
  if (!id.empty()) {
    EXPECT_TRUE(Sees(id, "3611"));
    EXPECT_EQ(ShIn(id, absl::StrCat("test -d /proc/", host, " && echo yes")), "yes\n");
  }
  ::kill(host, SIGKILL);
  ::waitpid(host, nullptr, 0);
}

// POD is the proto default (0), so this test sends nothing it could declare.
TEST_F(PidNamespaceConformance, PodModeSharesOneNamespaceBetweenContainers) {
  ::runtime::v1::PodSandboxConfig pod;
  std::string pod_id = Pod("podpid", ::runtime::v1::POD, &pod);
  std::string a = RunIn(pod_id, pod, WithPid("a", {"/bin/busybox", "sleep", "3612"}, ::runtime::v1::POD));
  std::string b = RunIn(pod_id, pod, WithPid("b", Sleeper(), ::runtime::v1::POD));
  ASSERT_FALSE(a.empty() || b.empty());
  EXPECT_TRUE(Sees(b, "3612")) << "a process of one container is visible from another";
  EXPECT_TRUE(Sees(a, "3600"));
  // The namespace outlives its first container.
  ASSERT_TRUE(Stop(a, 0).ok());
  std::string c = RunIn(pod_id, pod, WithPid("c", {"/bin/busybox", "sleep", "3613"}, ::runtime::v1::POD));
  ASSERT_FALSE(c.empty());
  EXPECT_TRUE(Sees(b, "3613"));
}

SILO_EXERCISES(PidNamespaceConformance, ContainerModeGivesEachContainerItsOwnNamespaceWithItsProcessAsPid1,
               "NamespaceOption.pid");
TEST_F(PidNamespaceConformance, ContainerModeGivesEachContainerItsOwnNamespaceWithItsProcessAsPid1) {
  ::runtime::v1::PodSandboxConfig pod;
  std::string pod_id = Pod("ctrpid", ::runtime::v1::CONTAINER, &pod);
  std::string a = RunIn(pod_id, pod, WithPid("a", {"/bin/busybox", "sleep", "3614"}, ::runtime::v1::CONTAINER));
  std::string b = RunIn(pod_id, pod, WithPid("b", Sleeper(), ::runtime::v1::CONTAINER));
  ASSERT_FALSE(a.empty() || b.empty());
  EXPECT_EQ(ShIn(a, "tr '\\0' ' ' < /proc/1/cmdline"), "/bin/busybox sleep 3614 ");
  EXPECT_FALSE(Sees(b, "3614"));
}

SILO_EXERCISES(PidNamespaceConformance, TargetModeJoinsTheTargetContainersNamespace, "NamespaceOption.pid",
               "NamespaceOption.target_id");
TEST_F(PidNamespaceConformance, TargetModeJoinsTheTargetContainersNamespace) {
  ::runtime::v1::PodSandboxConfig pod;
  std::string pod_id = Pod("targetpid", ::runtime::v1::CONTAINER, &pod);
  std::string a = RunIn(pod_id, pod, WithPid("a", {"/bin/busybox", "sleep", "3615"}, ::runtime::v1::CONTAINER));
  ASSERT_FALSE(a.empty());
  std::string b = RunIn(pod_id, pod, WithPid("b", Sleeper(), ::runtime::v1::TARGET, a));
  ASSERT_FALSE(b.empty());
  EXPECT_TRUE(Sees(b, "3615"));
  EXPECT_EQ(ShIn(b, "tr '\\0' ' ' < /proc/1/cmdline"), "/bin/busybox sleep 3615 ");
}

TEST_F(PidNamespaceConformance, TargetModeWithAnUnknownTargetIsRefused) {
  ::runtime::v1::PodSandboxConfig pod;
  std::string pod_id = Pod("badtarget", ::runtime::v1::CONTAINER, &pod), id;
  grpc::Status s = CreateIn(pod_id, pod, WithPid("b", Sleeper(), ::runtime::v1::TARGET, "no-such-container"), &id);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(List().size(), 0u);
}

}  // namespace
}  // namespace silo::testing::conformance
