#include "runtime/windows/hypervisor/vsmb_share_set.h"

#include "gtest/gtest.h"

namespace silo::runtime::windows::hypervisor {
namespace {

TEST(VsmbShareSetTest, SamePathSharesOneShareUntilTheLastRelease) {
  VsmbShareSet set;
  VsmbShareSet::Acquired a = set.Acquire("C:\\layers\\base");
  VsmbShareSet::Acquired b = set.Acquire("c:\\LAYERS\\Base\\");
  EXPECT_TRUE(a.first);
  EXPECT_FALSE(b.first);
  EXPECT_EQ(a.name, "s1");
  EXPECT_EQ(b.name, "s1");
  EXPECT_EQ(b.guest_path, a.guest_path);
  EXPECT_EQ(set.references("C:\\layers\\base"), 2);

  absl::StatusOr<VsmbShareSet::Released> r1 = set.Release("C:\\layers\\base");
  ASSERT_TRUE(r1.ok());
  EXPECT_FALSE(r1->last);
  absl::StatusOr<VsmbShareSet::Released> r2 = set.Release("C:\\layers\\base");
  ASSERT_TRUE(r2.ok());
  EXPECT_TRUE(r2->last);
  EXPECT_EQ(r2->name, "s1");
  EXPECT_EQ(set.size(), 0u);
  EXPECT_EQ(set.Release("C:\\layers\\base").status().code(), absl::StatusCode::kNotFound);
}

TEST(VsmbShareSetTest, NamesAreNeverReusedInAVmsLife) {
  VsmbShareSet set;
  EXPECT_EQ(set.Acquire("C:\\a").name, "s1");
  ASSERT_TRUE(set.Release("C:\\a").ok());
  EXPECT_EQ(set.Acquire("C:\\a").name, "s2");
  set.Forget("C:\\a");
  EXPECT_EQ(set.references("C:\\a"), 0);
  EXPECT_EQ(set.Acquire("C:\\b").name, "s3");
}

TEST(VsmbShareSetTest, AdoptedSharesCountTheirUsersAndNewNamesNeverReuseThem) {
  VsmbShareSet set;
  ASSERT_TRUE(set.Adopt("C:\\layers\\base", "s2").ok());
  ASSERT_TRUE(set.Adopt("c:\\LAYERS\\base\\", "s2").ok());
  EXPECT_EQ(set.references("C:\\layers\\base"), 2);
  EXPECT_EQ(set.Adopt("C:\\layers\\base", "s5").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(set.Adopt("C:\\layers\\app", "share").code(), absl::StatusCode::kInvalidArgument);
  VsmbShareSet::Acquired next = set.Acquire("C:\\layers\\app");
  EXPECT_TRUE(next.first);
  EXPECT_EQ(next.name, "s3");
  ASSERT_TRUE(set.Release("C:\\layers\\base").ok());
  absl::StatusOr<VsmbShareSet::Released> last = set.Release("C:\\layers\\base");
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->last);
  EXPECT_EQ(last->name, "s2");
}

}  // namespace
}  // namespace silo::runtime::windows::hypervisor
