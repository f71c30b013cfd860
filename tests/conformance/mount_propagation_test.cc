// Mount.propagation: PRIVATE (the default), HOST_TO_CONTAINER (rslave: mounts
// made on the host under the volume later are seen inside) and
// BIDIRECTIONAL (rshared: mounts made inside are also seen on the host;
// privileged containers only). The host's own propagation is never changed:
// as containerd, the volume's source must sit on a shared mount
// (bidirectional) or a shared or slave one (host-to-container), else
// CreateContainer fails naming the mount point. Each test mounts its own
// tmpfs and sets its propagation.
#include <sys/mount.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"
#include "tests/conformance/conformance_fixture.h"

namespace silo::testing::conformance {
namespace {

class MountPropagationConformance : public ConformanceTest {
 protected:
  // A tmpfs at volume_.path() with `propagation` ("shared", "private"), and
  // the directory a container mounts (a subdirectory of it).
  void MountVolume(unsigned long propagation) {
    ASSERT_EQ(::mount("tmpfs", volume_.path().c_str(), "tmpfs", 0, "size=4m"), 0);
    mounted_ = true;
    ASSERT_EQ(::mount(nullptr, volume_.path().c_str(), nullptr, propagation, nullptr), 0);
    source_ = volume_.path() + "/vol";
    ASSERT_TRUE(MakeDirs(source_).ok());
  }
  void TearDown() override {
    ConformanceTest::TearDown();
    // Detach recursively: mounts made under it (by the host or propagated
    // from a container) go with it.
    if (mounted_) ::umount2(volume_.path().c_str(), MNT_DETACH);
  }
  ::runtime::v1::ContainerConfig WithVolume(const std::string& name, ::runtime::v1::MountPropagation propagation) {
    ::runtime::v1::ContainerConfig c = Config(name, Sleeper());
    auto* m = c.add_mounts();
    m->set_host_path(source_);
    m->set_container_path("/vol");
    m->set_propagation(propagation);
    return c;
  }

  // A started container with the shared volume at /vol, then a tmpfs
  // mounted on the host at <volume>/later holding "marker". "" on failure.
  std::string StartThenMountOnTheHost(::runtime::v1::MountPropagation propagation) {
    MountVolume(MS_SHARED);
    std::string id;
    grpc::Status s = CreateRecorded(WithVolume("c", propagation), &id);
    if (!s.ok() || !Start(id).ok()) {
      ADD_FAILURE() << "create or start: " << s.error_message();
      return "";
    }
    std::string later = source_ + "/later";
    EXPECT_TRUE(MakeDirs(later).ok());
    EXPECT_EQ(::mount("tmpfs", later.c_str(), "tmpfs", 0, "size=1m"), 0);
    EXPECT_TRUE(AtomicWriteFile(later + "/marker", "from the host").ok());
    return id;
  }

  TempDir volume_;
  std::string source_;
  bool mounted_ = false;
};

SILO_EXERCISES(MountPropagationConformance, HostToContainerSeesMountsMadeOnTheHostLater, "Mount.propagation",
               "ContainerConfig.mounts");
TEST_F(MountPropagationConformance, HostToContainerSeesMountsMadeOnTheHostLater) {
  std::string id = StartThenMountOnTheHost(::runtime::v1::PROPAGATION_HOST_TO_CONTAINER);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(ShIn(id, "cat /vol/later/marker"), "from the host");
}

TEST_F(MountPropagationConformance, PrivateDoesNotSeeMountsMadeOnTheHostLater) {
  std::string id = StartThenMountOnTheHost(::runtime::v1::PROPAGATION_PRIVATE);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(ShIn(id, "test -e /vol/later/marker || echo absent"), "absent\n");
}

SILO_EXERCISES(MountPropagationConformance, BidirectionalShowsMountsMadeInsideOnTheHost, "Mount.propagation",
               "LinuxSandboxSecurityContext.privileged", "LinuxContainerSecurityContext.privileged");
TEST_F(MountPropagationConformance, BidirectionalShowsMountsMadeInsideOnTheHost) {
  MountVolume(MS_SHARED);
  ::runtime::v1::PodSandboxConfig pod = PodConfig("bidi");
  pod.mutable_linux()->mutable_security_context()->set_privileged(true);
  std::string pod_id;
  ASSERT_TRUE(RunPod(pod, &pod_id).ok());
  ::runtime::v1::ContainerConfig c = WithVolume("c", ::runtime::v1::PROPAGATION_BIDIRECTIONAL);
  c.mutable_linux()->mutable_security_context()->set_privileged(true);
  std::string id = RunIn(pod_id, pod, c);
  ASSERT_FALSE(id.empty());
  ShIn(id, "mkdir -p /vol/inner && mount -t tmpfs tmpfs /vol/inner && echo inside > /vol/inner/marker");
  auto seen = ReadFile(source_ + "/inner/marker");
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(*seen, "inside\n");
}

TEST_F(MountPropagationConformance, BidirectionalInAnUnprivilegedContainerIsInvalidArgument) {
  MountVolume(MS_SHARED);
  std::string id;
  grpc::Status s = CreateRecorded(WithVolume("c", ::runtime::v1::PROPAGATION_BIDIRECTIONAL), &id);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "privileged")) << s.error_message();
}

TEST_F(MountPropagationConformance, HostToContainerFromAPrivateMountFailsNamingTheMountPoint) {
  MountVolume(MS_PRIVATE);
  std::string id;
  grpc::Status s = CreateRecorded(WithVolume("c", ::runtime::v1::PROPAGATION_HOST_TO_CONTAINER), &id);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.error_message(), volume_.path())) << s.error_message();
  EXPECT_EQ(List().size(), 0u);
}

TEST_F(MountPropagationConformance, BidirectionalFromAPrivateMountFailsNamingTheMountPoint) {
  MountVolume(MS_PRIVATE);
  ::runtime::v1::PodSandboxConfig pod = PodConfig("bidiprivate");
  pod.mutable_linux()->mutable_security_context()->set_privileged(true);
  std::string pod_id, id;
  ASSERT_TRUE(RunPod(pod, &pod_id).ok());
  ::runtime::v1::ContainerConfig c = WithVolume("c", ::runtime::v1::PROPAGATION_BIDIRECTIONAL);
  c.mutable_linux()->mutable_security_context()->set_privileged(true);
  grpc::Status s = CreateIn(pod_id, pod, c, &id);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.error_message(), volume_.path())) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "shared")) << s.error_message();
}

}  // namespace
}  // namespace silo::testing::conformance
