#include "runtime/windows/hypervisor/combined_layers.h"

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/windows/hypervisor/golden.h"

namespace silo::runtime::windows::hypervisor {
namespace {

using ::testing::Not;
using ::testing::HasSubstr;

constexpr char kShare1[] = "\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\s1";
constexpr char kShare2[] = "\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\s2";

// hcsshim internal/uvm/combine_layers.go CombineLayersWCOW with
// guestresource.WCOWCombinedLayers; no FilterType (see the header).
TEST(CombinedLayersTest, AddRequestMatchesGoldenWithoutFilterType) {
  absl::StatusOr<std::string> built = BuildCombinedLayersAddRequest(
      "c:\\mounts\\scsi\\m1", {{"a1b2c3d4-0000-5000-8000-000000000012", kShare1},
                               {"a1b2c3d4-0000-5000-8000-000000000003", kShare2}});
  EXPECT_TRUE(MatchesGolden(built, R"json({
    "GuestRequest": {"RequestType": "Add", "ResourceType": "CombinedLayers", "Settings": {
      "ContainerRootPath": "c:\\mounts\\scsi\\m1",
      "Layers": [
        {"Id": "a1b2c3d4-0000-5000-8000-000000000012",
         "Path": "\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\s1"},
        {"Id": "a1b2c3d4-0000-5000-8000-000000000003",
         "Path": "\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\s2"}
      ]}}
  })json"));
  ASSERT_TRUE(built.ok());
  EXPECT_THAT(*built, Not(HasSubstr("FilterType")));
}

TEST(CombinedLayersTest, RemoveRequestCarriesOnlyTheRoot) {
  EXPECT_TRUE(MatchesGolden(BuildCombinedLayersRemoveRequest("c:\\mounts\\scsi\\m1"), R"json({
    "GuestRequest": {"RequestType": "Remove", "ResourceType": "CombinedLayers",
                     "Settings": {"ContainerRootPath": "c:\\mounts\\scsi\\m1"}}
  })json"));
}

TEST(CombinedLayersTest, BadLayersAndRootsAreRefused) {
  const GuestLayer good{"a1b2c3d4-0000-5000-8000-000000000003", kShare1};
  EXPECT_EQ(BuildCombinedLayersAddRequest("c:\\mounts\\scsi\\m1", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildCombinedLayersAddRequest("mounts\\m1", {good}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildCombinedLayersAddRequest("c:\\m1", {{"{a1b2c3d4-0000-5000-8000-000000000003}", kShare1}})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildCombinedLayersAddRequest("c:\\m1", {{good.id, "s1"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildCombinedLayersRemoveRequest("").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace silo::runtime::windows::hypervisor
