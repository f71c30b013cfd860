#include "runtime/windows/hypervisor/hosted_container.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/hresult_codes.h"
#include "runtime/windows/hypervisor/testing_uvm.h"

namespace silo::runtime::windows::hypervisor {
namespace {

using fake::FakeCall;
using fake::FakeFault;
using fake::FakeInjection;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using nlohmann::json;

const HostLayer kBase{"a1b2c3d4-0000-5000-8000-000000000001", "C:\\silo\\layers\\base"};
const HostLayer kApp{"a1b2c3d4-0000-5000-8000-000000000002", "C:\\silo\\layers\\app"};

HostedContainerSpec Spec(const std::string& id) {
  HostedContainerSpec spec;
  spec.document.spec.container_id = id;
  spec.document.spec.hostname = "pod-1";
  spec.layers = {kApp, kBase};
  spec.scratch_vhd_path = "C:\\silo\\scratch\\" + id + "\\sandbox.vhdx";
  return spec;
}

class HostedContainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<UvmPod>> pod = UvmPod::Create(fake_.api(), TestPodSpec(), In(10));
    ASSERT_TRUE(pod.ok()) << pod.status();
    pod_ = std::move(*pod);
  }

  // The pod's devices hold nothing for containers; only the VM's own grant is left.
  void ExpectNoContainerLeft(const std::string& id) {
    fake_.Drain();
    EXPECT_FALSE(fake_.SystemExists(id));
    EXPECT_EQ(devices_.shares.size(), 0u);
    EXPECT_EQ(devices_.luns.in_use(), 0);
    EXPECT_THAT(fake_.vm_access_grants(), ElementsAre(std::string(kTestVm) + "|" + kTestVmScratch));
  }

  void TearDown() override {
    ASSERT_TRUE(pod_->Stop(In(10), In(10)).ok());
    pod_.reset();
    fake_.Drain();
    EXPECT_FALSE(fake_.SystemExists(kTestVm));
    EXPECT_EQ(fake_.open_system_handles(), 0);
    EXPECT_EQ(fake_.open_operations(), 0);
    EXPECT_EQ(fake_.bad_closes(), 0);
    EXPECT_EQ(fake_.unmatched_vm_access_revokes(), 0);
  }

  fake::FakeHcs fake_;
  std::unique_ptr<UvmPod> pod_;
  UvmDevices devices_;
};

TEST_F(HostedContainerTest, TwoContainersRunInTheVmAndStopInOrder) {
  auto c1 = HostedContainer::Create(fake_.api(), pod_->system(), devices_, Spec("c1"), In(10));
  ASSERT_TRUE(c1.ok()) << c1.status();
  auto c2 = HostedContainer::Create(fake_.api(), pod_->system(), devices_, Spec("c2"), In(10));
  ASSERT_TRUE(c2.ok()) << c2.status();
  EXPECT_EQ(fake_.SystemState("c1"), "Running");
  EXPECT_EQ(fake_.SystemState("c2"), "Running");
  const json doc = json::parse(fake_.Configuration("c2"));
  EXPECT_EQ(doc.at("HostingSystemId"), kTestVm);
  EXPECT_EQ(doc.at("HostedSystem").at("Container").at("Storage").at("Path"), "c:\\mounts\\scsi\\m2");
  EXPECT_EQ(devices_.shares.references(kBase.host_path), 2);

  ASSERT_TRUE((*c1)->Stop(In(30), In(40)).ok());
  EXPECT_FALSE(fake_.SystemExists("c1"));
  EXPECT_EQ(fake_.SystemState("c2"), "Running");
  EXPECT_EQ(devices_.shares.references(kBase.host_path), 1);
  ASSERT_TRUE((*c2)->Stop(In(30), In(40)).ok());
  EXPECT_TRUE((*c2)->Stop(In(30), In(40)).ok()) << "Stop is idempotent";
  ExpectNoContainerLeft("c2");
}

TEST_F(HostedContainerTest, CreateOrStartFailureReleasesTheLayers) {
  for (FakeCall failing : {FakeCall::kCreateComputeSystem, FakeCall::kStart}) {
    SCOPED_TRACE(static_cast<int>(failing));
    fake_.Inject(FakeInjection(failing, FakeFault::kFailResult, codes::kEFail, "injected"));
    auto c1 = HostedContainer::Create(fake_.api(), pod_->system(), devices_, Spec("c1"), In(10));
    ASSERT_FALSE(c1.ok());
    EXPECT_THAT(c1.status().message(), HasSubstr("injected"));
    EXPECT_THAT(c1.status().message(), HasSubstr("c1"));
    ExpectNoContainerLeft("c1");
  }
}

TEST_F(HostedContainerTest, MountsAreRefusedBeforeAnythingIsMounted) {
  HostedContainerSpec spec = Spec("c1");
  ::runtime::v1::Mount m;
  m.set_host_path("C:\\data");
  m.set_container_path("C:\\data");
  spec.document.spec.mounts.push_back(m);
  const size_t calls = fake_.call_sequence().size();
  auto c1 = HostedContainer::Create(fake_.api(), pod_->system(), devices_, spec, In(10));
  EXPECT_EQ(c1.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(fake_.call_sequence().size(), calls);
}

// The fake, like HCS, hosts a container only in an existing, running VM.
TEST_F(HostedContainerTest, FakeRefusesAHostedSystemWithoutItsRunningVm) {
  const std::string orphan =
      R"({"Owner":"silo","SchemaVersion":{"Major":2,"Minor":1},"HostingSystemId":"no-such@vm","HostedSystem":{}})";
  auto created = hcs::ComputeSystem::Create(fake_.api(), "c9", orphan, In(10));
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().hr(), codes::kHcsESystemNotFound);
  fake_.AddSystem("stopped@vm", "silo", /*running=*/false);
  const std::string idle =
      R"({"Owner":"silo","SchemaVersion":{"Major":2,"Minor":1},"HostingSystemId":"stopped@vm","HostedSystem":{}})";
  created = hcs::ComputeSystem::Create(fake_.api(), "c9", idle, In(10));
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().hr(), codes::kHcsEInvalidState);
  EXPECT_FALSE(fake_.SystemExists("c9"));
}

}  // namespace
}  // namespace silo::runtime::windows::hypervisor
