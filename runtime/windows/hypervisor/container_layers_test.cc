#include "runtime/windows/hypervisor/container_layers.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/hresult_codes.h"
#include "runtime/windows/hypervisor/combined_layers.h"
#include "runtime/windows/hypervisor/scsi_disk.h"
#include "runtime/windows/hypervisor/testing_uvm.h"
#include "runtime/windows/hypervisor/vsmb_share.h"

namespace silo::runtime::windows::hypervisor {
namespace {

using fake::FakeCall;
using fake::FakeFault;
using fake::FakeInjection;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kScratch1[] = "C:\\silo\\scratch\\c1\\sandbox.vhdx";
constexpr char kScratch2[] = "C:\\silo\\scratch\\c2\\sandbox.vhdx";
const HostLayer kBase{"a1b2c3d4-0000-5000-8000-000000000001", "C:\\silo\\layers\\base"};
const HostLayer kApp1{"a1b2c3d4-0000-5000-8000-000000000002", "C:\\silo\\layers\\app1"};
const HostLayer kApp2{"a1b2c3d4-0000-5000-8000-000000000003", "C:\\silo\\layers\\app2"};

class ContainerLayersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<UvmPod>> pod = UvmPod::Create(fake_.api(), TestPodSpec(), In(10));
    ASSERT_TRUE(pod.ok()) << pod.status();
    pod_ = std::move(*pod);
  }

  void TearDown() override {
    ASSERT_TRUE(pod_->Stop(In(10), In(10)).ok());
    pod_.reset();
    fake_.Drain();
    EXPECT_FALSE(fake_.SystemExists(kTestVm));
    EXPECT_THAT(fake_.vm_access_grants(), IsEmpty());
    EXPECT_EQ(fake_.unmatched_vm_access_revokes(), 0);
    EXPECT_EQ(fake_.open_system_handles(), 0);
    EXPECT_EQ(fake_.bad_closes(), 0);
  }

  std::vector<std::string> Grants() const { return fake_.vm_access_grants(); }

  fake::FakeHcs fake_;
  std::unique_ptr<UvmPod> pod_;
  UvmDevices devices_;
};

std::string Ok(const absl::StatusOr<std::string>& s) { return s.ok() ? *s : "<" + s.status().ToString() + ">"; }

TEST_F(ContainerLayersTest, TwoContainersShareTheBaseShareAndGetDistinctLuns) {
  auto c1 = ContainerLayers::Mount(fake_.api(), pod_->system(), devices_, {kApp1, kBase}, kScratch1, In(10));
  ASSERT_TRUE(c1.ok()) << c1.status();
  auto c2 = ContainerLayers::Mount(fake_.api(), pod_->system(), devices_, {kApp2, kBase}, kScratch2, In(10));
  ASSERT_TRUE(c2.ok()) << c2.status();

  EXPECT_EQ((*c1)->lun(), 1u);
  EXPECT_EQ((*c2)->lun(), 2u);
  EXPECT_EQ((*c1)->root(), "c:\\mounts\\scsi\\m1");
  EXPECT_EQ((*c2)->guest_layers()[1].guest_path, VsmbGuestPath("s2")) << "base layer share reused";
  EXPECT_EQ(devices_.shares.references(kBase.host_path), 2);
  EXPECT_THAT(
      fake_.Modifications(kTestVm),
      ElementsAre(Ok(BuildVsmbAddRequest("s1", kApp1.host_path, false)),
                  Ok(BuildVsmbAddRequest("s2", kBase.host_path, false)), Ok(BuildScsiAttachRequest(1, kScratch1)),
                  Ok(BuildScsiGuestMountRequest(1)),
                  Ok(BuildCombinedLayersAddRequest("c:\\mounts\\scsi\\m1",
                                                   {{kApp1.id, VsmbGuestPath("s1")}, {kBase.id, VsmbGuestPath("s2")}})),
                  // The second container adds only its own layer's share.
                  Ok(BuildVsmbAddRequest("s3", kApp2.host_path, false)), Ok(BuildScsiAttachRequest(2, kScratch2)),
                  Ok(BuildScsiGuestMountRequest(2)),
                  Ok(BuildCombinedLayersAddRequest("c:\\mounts\\scsi\\m2",
                                                   {{kApp2.id, VsmbGuestPath("s3")}, {kBase.id, VsmbGuestPath("s2")}}))));
  EXPECT_THAT(Grants(), UnorderedElementsAre(std::string(kTestVm) + "|" + kScratch1, std::string(kTestVm) + "|" + kScratch2,
                                    std::string(kTestVm) + "|" + kTestVmScratch));

  const size_t before = fake_.Modifications(kTestVm).size();
  ASSERT_TRUE((*c1)->Release(In(10)).ok());
  std::vector<std::string> mods = fake_.Modifications(kTestVm);
  EXPECT_THAT(std::vector<std::string>(mods.begin() + static_cast<long>(before), mods.end()),
              ElementsAre(Ok(BuildCombinedLayersRemoveRequest("c:\\mounts\\scsi\\m1")),
                          Ok(BuildScsiGuestUnmountRequest(1)), Ok(BuildScsiDetachRequest(1)),
                          // base (s2) is still used by the second container: only s1 goes.
                          Ok(BuildVsmbRemoveRequest("s1"))));
  EXPECT_EQ(devices_.shares.references(kBase.host_path), 1);
  EXPECT_TRUE((*c1)->Release(In(10)).ok()) << "Release is idempotent";

  ASSERT_TRUE((*c2)->Release(In(10)).ok());
  mods = fake_.Modifications(kTestVm);
  EXPECT_EQ(mods[mods.size() - 2], Ok(BuildVsmbRemoveRequest("s2")));
  EXPECT_EQ(mods.back(), Ok(BuildVsmbRemoveRequest("s3")));
  EXPECT_EQ(devices_.shares.size(), 0u);
  EXPECT_EQ(devices_.luns.in_use(), 0);
  EXPECT_THAT(Grants(), UnorderedElementsAre(std::string(kTestVm) + "|" + kTestVmScratch));
}

TEST_F(ContainerLayersTest, FailureAtEachModifyUndoesTheEarlierOnesAndKeepsOtherContainersShares) {
  auto other = ContainerLayers::Mount(fake_.api(), pod_->system(), devices_, {kBase}, kScratch2, In(10));
  ASSERT_TRUE(other.ok()) << other.status();
  // Mount of {app1, base}: share app1, (base reused), attach, guest mount, combine.
  constexpr int kModifies = 4;
  for (int failing = 0; failing < kModifies; ++failing) {
    SCOPED_TRACE(failing);
    const size_t before = fake_.Modifications(kTestVm).size();
    if (failing > 0) fake_.Inject(FakeInjection(FakeCall::kModify, FakeFault::kPass, 0, {}, {}, failing));
    fake_.Inject(FakeInjection(FakeCall::kModify, FakeFault::kFailResult, codes::kEFail, "injected"));
    auto c1 = ContainerLayers::Mount(fake_.api(), pod_->system(), devices_, {kApp1, kBase}, kScratch1, In(10));
    ASSERT_FALSE(c1.ok());
    EXPECT_THAT(c1.status().message(), HasSubstr("injected"));
    // Each applied step was undone, in reverse.
    const std::vector<std::string> mods = fake_.Modifications(kTestVm);
    const std::vector<std::string> applied(mods.begin() + static_cast<long>(before), mods.end());
    ASSERT_EQ(applied.size(), static_cast<size_t>(2 * failing));
    const std::vector<std::string> undo_of_each = {
        Ok(BuildVsmbRemoveRequest("s" + std::to_string(2 + failing))), Ok(BuildScsiDetachRequest(2)),
        Ok(BuildScsiGuestUnmountRequest(2))};
    for (int i = 0; i < failing; ++i) EXPECT_EQ(applied[applied.size() - 1 - i], undo_of_each[i]);
    EXPECT_EQ(devices_.shares.references(kBase.host_path), 1);
    EXPECT_EQ(devices_.shares.references(kApp1.host_path), 0);
    EXPECT_EQ(devices_.luns.in_use(), 1);
    EXPECT_THAT(Grants(), UnorderedElementsAre(std::string(kTestVm) + "|" + kScratch2, std::string(kTestVm) + "|" + kTestVmScratch));
  }
  ASSERT_TRUE((*other)->Release(In(10)).ok());
}

TEST_F(ContainerLayersTest, GrantFailureUndoesTheShares) {
  fake_.Inject(FakeInjection(FakeCall::kGrantVmAccess, FakeFault::kFailCall, codes::kEAccessDenied));
  auto c1 = ContainerLayers::Mount(fake_.api(), pod_->system(), devices_, {kApp1, kBase}, kScratch1, In(10));
  ASSERT_FALSE(c1.ok());
  EXPECT_EQ(c1.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(devices_.shares.size(), 0u);
  EXPECT_EQ(fake_.Modifications(kTestVm).back(), Ok(BuildVsmbRemoveRequest("s1")));
}

TEST_F(ContainerLayersTest, BadInputCallsNothing) {
  const size_t calls = fake_.call_sequence().size();
  EXPECT_EQ(ContainerLayers::Mount(fake_.api(), pod_->system(), devices_, {}, kScratch1, In(10)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ContainerLayers::Mount(fake_.api(), pod_->system(), devices_, {{"12", "C:\\l"}}, kScratch1, In(10))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ContainerLayers::Mount(fake_.api(), pod_->system(), devices_, {kBase}, "sandbox.vhdx", In(10))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fake_.call_sequence().size(), calls);
}

}  // namespace
}  // namespace silo::runtime::windows::hypervisor
