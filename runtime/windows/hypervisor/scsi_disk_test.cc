#include "runtime/windows/hypervisor/scsi_disk.h"

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "runtime/windows/hypervisor/golden.h"

namespace silo::runtime::windows::hypervisor {
namespace {

// hcsshim internal/uvm/scsi/backend.go hcsHostBackend.attach; the controller
// key is guestrequest.ScsiControllerGuids[0], not "0".
TEST(ScsiDiskTest, AttachRequestMatchesGolden) {
  EXPECT_TRUE(MatchesGolden(BuildScsiAttachRequest(3, "C:\\ProgramData\\silo\\scratch\\c1\\sandbox.vhdx"), R"json({
    "RequestType": "Add",
    "ResourcePath": "VirtualMachine/Devices/Scsi/df6d0690-79e5-55b6-a5ec-c1e2f77f580a/Attachments/3",
    "Settings": {"Type": "VirtualDisk", "Path": "C:\\ProgramData\\silo\\scratch\\c1\\sandbox.vhdx"}
  })json"));
}

TEST(ScsiDiskTest, DetachRequestHasNoSettings) {
  EXPECT_TRUE(MatchesGolden(BuildScsiDetachRequest(3), R"json({
    "RequestType": "Remove",
    "ResourcePath": "VirtualMachine/Devices/Scsi/df6d0690-79e5-55b6-a5ec-c1e2f77f580a/Attachments/3"
  })json"));
}

// mountRequest/unmountRequest for "windows": WCOWMappedVirtualDisk, sent as
// a guest-only ModifySettingRequest (hcsGuestBackend).
TEST(ScsiDiskTest, GuestMountAndUnmountMatchGolden) {
  EXPECT_TRUE(MatchesGolden(BuildScsiGuestMountRequest(3), R"json({
    "GuestRequest": {"RequestType": "Add", "ResourceType": "MappedVirtualDisk",
                     "Settings": {"ContainerPath": "c:\\mounts\\scsi\\m3", "Lun": 3}}
  })json"));
  EXPECT_TRUE(MatchesGolden(BuildScsiGuestUnmountRequest(3), R"json({
    "GuestRequest": {"RequestType": "Remove", "ResourceType": "MappedVirtualDisk",
                     "Settings": {"ContainerPath": "c:\\mounts\\scsi\\m3", "Lun": 3}}
  })json"));
}

TEST(ScsiDiskTest, ReservedOrOutOfRangeLunsAndRelativePathsAreRefused) {
  EXPECT_EQ(BuildScsiAttachRequest(0, "C:\\s.vhdx").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildScsiAttachRequest(64, "C:\\s.vhdx").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildScsiAttachRequest(1, "s.vhdx").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildScsiDetachRequest(0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildScsiGuestMountRequest(0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildScsiGuestUnmountRequest(64).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(BuildScsiAttachRequest(63, "C:\\s.vhdx").ok());
}

}  // namespace
}  // namespace silo::runtime::windows::hypervisor
