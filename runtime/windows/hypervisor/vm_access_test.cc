#include "runtime/windows/hypervisor/vm_access.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/hresult_codes.h"

namespace silo::runtime::windows::hypervisor {
namespace {

using fake::FakeCall;
using fake::FakeFault;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kScratch[] = "C:\\ProgramData\\silo\\pods\\p1\\vm\\sandbox.vhdx";

TEST(VmAccessTest, GrantBeforeTheVmExistsAndRevokeLeaveNoGrant) {
  fake::FakeHcs fake;
  ASSERT_TRUE(GrantVmAccess(fake.api(), "p1@vm", kScratch).ok());
  EXPECT_THAT(fake.vm_access_grants(), ElementsAre(std::string("p1@vm|") + kScratch));
  ASSERT_TRUE(RevokeVmAccess(fake.api(), "p1@vm", kScratch).ok());
  EXPECT_THAT(fake.vm_access_grants(), IsEmpty());
  EXPECT_EQ(fake.unmatched_vm_access_revokes(), 0);
  EXPECT_THAT(fake.call_sequence(), ElementsAre(FakeCall::kGrantVmAccess, FakeCall::kRevokeVmAccess));
}

TEST(VmAccessTest, FakeRefusesEmptyVmAndRelativePathAndCountsStrayRevokes) {
  fake::FakeHcs fake;
  absl::Status no_vm = GrantVmAccess(fake.api(), "", kScratch);
  EXPECT_EQ(no_vm.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GrantVmAccess(fake.api(), "p1@vm", "sandbox.vhdx").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(fake.vm_access_grants(), IsEmpty());
  EXPECT_TRUE(RevokeVmAccess(fake.api(), "p1@vm", kScratch).ok());
  EXPECT_EQ(fake.unmatched_vm_access_revokes(), 1);
}

TEST(VmAccessTest, FailureNamesTheCallTheVmAndTheFile) {
  fake::FakeHcs fake;
  fake.Inject({FakeCall::kGrantVmAccess, FakeFault::kFailCall, codes::kEAccessDenied});
  absl::Status s = GrantVmAccess(fake.api(), "p1@vm", kScratch);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("HcsGrantVmAccess"));
  EXPECT_THAT(s.message(), HasSubstr("p1@vm"));
  EXPECT_THAT(s.message(), HasSubstr("sandbox.vhdx"));
  EXPECT_THAT(fake.vm_access_grants(), IsEmpty());
}

TEST(VmAccessTest, MissingEntryPointIsFailedPrecondition) {
  fake::FakeHcs fake;
  hcs::HcsApi old_host = fake.api();
  old_host.grant_vm_access = nullptr;
  old_host.revoke_vm_access = nullptr;
  absl::Status s = GrantVmAccess(old_host, "p1@vm", kScratch);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("HcsGrantVmAccess"));
  EXPECT_EQ(RevokeVmAccess(old_host, "p1@vm", kScratch).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace silo::runtime::windows::hypervisor
