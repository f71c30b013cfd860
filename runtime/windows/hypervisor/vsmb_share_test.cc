#include "runtime/windows/hypervisor/vsmb_share.h"

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "runtime/windows/hypervisor/golden.h"

namespace silo::runtime::windows::hypervisor {
namespace {

// hcsshim internal/uvm/vsmb.go AddVSMB with DefaultVSMBOptions(true) +
// TakeBackupPrivilege, as internal/layers/wcow_mount.go adds a layer.
TEST(VsmbShareTest, AddRequestMatchesGolden) {
  EXPECT_TRUE(MatchesGolden(BuildVsmbAddRequest("s1", "C:\\ProgramData\\silo\\layers\\12", false), R"json({
    "RequestType": "Add",
    "ResourcePath": "VirtualMachine/Devices/VirtualSmb/Shares",
    "Settings": {"Name": "s1", "Path": "C:\\ProgramData\\silo\\layers\\12",
                 "Options": {"ReadOnly": true, "ShareRead": true, "CacheIo": true, "PseudoOplocks": true,
                             "TakeBackupPrivilege": true}}
  })json"));
}

TEST(VsmbShareTest, NoDirectMapAddsItsOption) {
  EXPECT_TRUE(MatchesGolden(BuildVsmbAddRequest("s2", "\\\\server\\share\\layer", true), R"json({
    "RequestType": "Add",
    "ResourcePath": "VirtualMachine/Devices/VirtualSmb/Shares",
    "Settings": {"Name": "s2", "Path": "\\\\server\\share\\layer",
                 "Options": {"ReadOnly": true, "ShareRead": true, "CacheIo": true, "PseudoOplocks": true,
                             "TakeBackupPrivilege": true, "NoDirectmap": true}}
  })json"));
}

TEST(VsmbShareTest, RemoveRequestCarriesOnlyTheName) {
  EXPECT_TRUE(MatchesGolden(BuildVsmbRemoveRequest("s1a"), R"json({
    "RequestType": "Remove",
    "ResourcePath": "VirtualMachine/Devices/VirtualSmb/Shares",
    "Settings": {"Name": "s1a"}
  })json"));
}

TEST(VsmbShareTest, NamesAndGuestPathsFollowHcsshim) {
  EXPECT_EQ(VsmbShareName(1), "s1");
  EXPECT_EQ(VsmbShareName(26), "s1a");
  EXPECT_EQ(VsmbGuestPath("s1a"), "\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\s1a");
}

TEST(VsmbShareTest, BadInputIsRefused) {
  EXPECT_EQ(BuildVsmbAddRequest("", "C:\\l", false).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildVsmbAddRequest("s1", "layers\\12", false).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildVsmbAddRequest("s1", std::string("C:\\l\0x", 6), false).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildVsmbRemoveRequest("").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace silo::runtime::windows::hypervisor
