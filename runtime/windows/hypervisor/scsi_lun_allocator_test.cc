#include "runtime/windows/hypervisor/scsi_lun_allocator.h"

#include "gtest/gtest.h"

namespace silo::runtime::windows::hypervisor {
namespace {

TEST(ScsiLunAllocatorTest, HandsOutLowestFreeLunFromOneAndReusesFreedOnes) {
  ScsiLunAllocator luns;
  EXPECT_EQ(*luns.Allocate(), 1u);
  EXPECT_EQ(*luns.Allocate(), 2u);
  EXPECT_EQ(*luns.Allocate(), 3u);
  ASSERT_TRUE(luns.Free(2).ok());
  EXPECT_EQ(*luns.Allocate(), 2u);
  EXPECT_EQ(luns.in_use(), 3);
}

TEST(ScsiLunAllocatorTest, ExhaustionAndBadFreesAreErrors) {
  ScsiLunAllocator luns;
  for (uint32_t i = 1; i < kScsiLunsPerController; ++i) ASSERT_TRUE(luns.Allocate().ok());
  EXPECT_EQ(luns.Allocate().status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(luns.Free(0).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(luns.Free(64).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(luns.Free(7).ok());
  EXPECT_EQ(luns.Free(7).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ScsiLunAllocatorTest, ReservedLunsAreSkippedAndCannotBeReservedTwice) {
  ScsiLunAllocator luns;
  ASSERT_TRUE(luns.Reserve(1).ok());
  EXPECT_EQ(luns.Reserve(1).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(luns.Reserve(0).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(luns.Reserve(kScsiLunsPerController).code(), absl::StatusCode::kFailedPrecondition);
  absl::StatusOr<uint32_t> next = luns.Allocate();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, 2u);
  EXPECT_TRUE(luns.Free(1).ok());
}

}  // namespace
}  // namespace silo::runtime::windows::hypervisor
