// The pod's hostname (PodSandboxConfig.hostname): kubelet leaves it empty for
// host-network pods, and other clients often leave it empty for any pod. As
// containerd: an empty hostname leaves the pod's new UTS namespace with the
// node's name, /etc/hostname holds the node's name and /etc/hosts is the
// node's; a name the kernel cannot take (over 64 bytes) is refused before
// anything is created.
#include <filesystem>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"
#include "tests/conformance/conformance_fixture.h"

namespace silo::testing::conformance {
namespace {

class PodHostnameConformance : public ConformanceTest {};

TEST_F(PodHostnameConformance, EmptyHostnameGivesThePodTheNodesHostnameAndHosts) {
  ::runtime::v1::PodSandboxConfig pod = PodConfig("nohostname");
  // Longer than the kernel's 64-byte limit: it must not become the hostname.
  pod.mutable_metadata()->set_name(absl::StrCat(pod.metadata().name(), "-", std::string(70, 'x')));
  std::string pod_id;
  grpc::Status s = RunPod(pod, &pod_id);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::string id = RunIn(pod_id, pod, Config("c", Sleeper()));
  ASSERT_FALSE(id.empty());
  const std::string node = NodeHostname();
  EXPECT_EQ(ShIn(id, "hostname"), node + "\n");
  EXPECT_EQ(ShIn(id, "cat /etc/hostname"), node + "\n");
  auto hosts = ReadFile("/etc/hosts");
  ASSERT_TRUE(hosts.ok());
  EXPECT_EQ(ShIn(id, "cat /etc/hosts"), *hosts);
}

SILO_EXERCISES(PodHostnameConformance, SetHostnameIsThePodsHostname, "PodSandboxConfig.hostname");
TEST_F(PodHostnameConformance, SetHostnameIsThePodsHostname) {
  ::runtime::v1::PodSandboxConfig pod = PodConfig("named");
  pod.set_hostname("conformance-host");
  std::string pod_id;
  grpc::Status s = RunPod(pod, &pod_id);
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::string id = RunIn(pod_id, pod, Config("c", Sleeper()));
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(ShIn(id, "hostname"), "conformance-host\n");
  EXPECT_EQ(ShIn(id, "cat /etc/hostname"), "conformance-host\n");
  EXPECT_NE(NodeHostname(), "conformance-host") << "the node's own name must not change";
}

TEST_F(PodHostnameConformance, HostnameOver64BytesIsInvalidArgumentBeforeAnythingIsCreated) {
  auto pinned = [this] {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::recursive_directory_iterator(silod_->state() + "/netns", ec)) {
      out.push_back(e.path().string());
    }
    return out;
  };
  const std::vector<std::string> before = pinned();
  ::runtime::v1::PodSandboxConfig pod = PodConfig("long");
  pod.set_hostname(std::string(65, 'h'));
  std::string pod_id;
  grpc::Status s = RunPod(pod, &pod_id);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "64")) << s.error_message();
  EXPECT_EQ(ListPods().size(), 1u) << "only the fixture's own pod";
  EXPECT_EQ(pinned(), before) << "no namespace was made";
}

}  // namespace
}  // namespace silo::testing::conformance
