#include "runtime/windows/hypervisor/uvm_document.h"

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/windows/hypervisor/golden.h"

namespace silo::runtime::windows::hypervisor {
namespace {

using ::testing::HasSubstr;

UvmDocumentInput Input() {
  UvmDocumentInput in;
  in.vm_id = "pod-1@vm";
  in.utility_vm_path = "C:\\ProgramData\\silo\\layers\\base\\UtilityVM";
  in.scratch_vhd_path = "C:\\ProgramData\\silo\\pods\\pod-1\\vm\\sandbox.vhdx";
  return in;
}

// Field names from hcsshim internal/hcs/schema2 (virtual_machine.go,
// chipset.go, uefi.go, uefi_boot_entry.go, topology.go,
// virtual_machine_memory.go, virtual_machine_processor.go, devices.go,
// scsi.go, attachment.go, hv_socket_2.go, hv_socket_system_config.go,
// virtual_smb.go, virtual_smb_share.go, virtual_smb_share_options.go,
// registry_*.go, guest_connection.go); values from
// internal/uvm/create_wcow.go and create.go (newDefaultOptions).
constexpr char kDefaultGolden[] = R"json({
  "Owner": "silo",
  "SchemaVersion": {"Major": 2, "Minor": 1},
  "VirtualMachine": {
    "StopOnReset": true,
    "Chipset": {"Uefi": {"BootThis": {"DeviceType": "VmbFs", "DevicePath": "\\EFI\\Microsoft\\Boot\\bootmgfw.efi"}}},
    "ComputeTopology": {
      "Memory": {"SizeInMB": 1024, "AllowOvercommit": true, "EnableHotHint": true},
      "Processor": {"Count": 2}
    },
    "Devices": {
      "Scsi": {"df6d0690-79e5-55b6-a5ec-c1e2f77f580a": {"Attachments": {
        "0": {"Type": "VirtualDisk", "Path": "C:\\ProgramData\\silo\\pods\\pod-1\\vm\\sandbox.vhdx"}}}},
      "HvSocket": {"HvSocketConfig": {"DefaultBindSecurityDescriptor": "D:P(A;;FA;;;SY)(A;;FA;;;BA)"}},
      "VirtualSmb": {
        "DirectFileMappingInMB": 1024,
        "Shares": [{
          "Name": "os",
          "Path": "C:\\ProgramData\\silo\\layers\\base\\UtilityVM\\Files",
          "Options": {"ReadOnly": true, "ShareRead": true, "CacheIo": true, "PseudoOplocks": true,
                      "TakeBackupPrivilege": true}
        }]
      }
    },
    "RegistryChanges": {"AddValues": [{
      "Key": {"Hive": "System", "Name": "CurrentControlSet\\Services\\gns"},
      "Name": "EnableCompartmentNamespace", "Type": "DWord", "DWordValue": 1
    }]},
    "GuestConnection": {}
  }
})json";

TEST(UvmDocumentTest, DefaultDocumentMatchesGolden) {
  EXPECT_TRUE(MatchesGolden(BuildUvmDocument(Input()), kDefaultGolden));
}

constexpr char kTunedGolden[] = R"json({
  "Owner": "silo-test",
  "SchemaVersion": {"Major": 2, "Minor": 1},
  "ShouldTerminateOnLastHandleClosed": true,
  "VirtualMachine": {
    "StopOnReset": true,
    "Chipset": {"Uefi": {"BootThis": {"DeviceType": "VmbFs", "DevicePath": "\\EFI\\Microsoft\\Boot\\bootmgfw.efi"}}},
    "ComputeTopology": {
      "Memory": {"SizeInMB": 770, "EnableDeferredCommit": true, "LowMmioGapInMB": 256,
                 "HighMmioBaseInMB": 4096, "HighMmioGapInMB": 512},
      "Processor": {"Count": 3, "Limit": 50000, "Weight": 200,
                    "CpuGroup": {"Id": "5f6a1e2b-0000-4000-8000-00000000c0de"}}
    },
    "Devices": {
      "Scsi": {"df6d0690-79e5-55b6-a5ec-c1e2f77f580a": {"Attachments": {
        "0": {"Type": "VirtualDisk", "Path": "C:\\ProgramData\\silo\\pods\\pod-1\\vm\\sandbox.vhdx"}}}},
      "HvSocket": {"HvSocketConfig": {"DefaultBindSecurityDescriptor": "D:P(A;;FA;;;SY)(A;;FA;;;BA)"}},
      "VirtualSmb": {
        "DirectFileMappingInMB": 1024,
        "Shares": [{
          "Name": "os",
          "Path": "C:\\ProgramData\\silo\\layers\\base\\UtilityVM\\Files",
          "Options": {"ReadOnly": true, "ShareRead": true, "CacheIo": true, "PseudoOplocks": true,
                      "TakeBackupPrivilege": true, "NoDirectmap": true}
        }]
      }
    },
    "RegistryChanges": {},
    "StorageQoS": {"IopsMaximum": 300, "BandwidthMaximum": 1000000},
    "GuestConnection": {}
  }
})json";

TEST(UvmDocumentTest, TunedDocumentMatchesGolden) {
  UvmDocumentInput in = Input();
  in.owner = "silo-test";
  in.utility_vm_path += "\\";  // a trailing separator does not double up
  in.terminate_on_last_handle_closed = true;
  in.host_processor_count = 3;
  UvmOptions& o = in.options;
  o.memory_size_in_mb = 769;  // rounded up to 2 MiB units
  o.allow_overcommit = false;
  o.fully_physically_backed = true;
  o.enable_deferred_commit = true;
  o.low_mmio_gap_in_mb = 256;
  o.high_mmio_base_in_mb = 4096;
  o.high_mmio_gap_in_mb = 512;
  o.processor_count = 16;  // clamped to the host's 3
  o.processor_limit = 50000;
  o.processor_weight = 200;
  o.cpu_group_id = "5f6a1e2b-0000-4000-8000-00000000c0de";
  o.storage_qos_iops_maximum = 300;
  o.storage_qos_bandwidth_maximum = 1000000;
  o.disable_compartment_namespace = true;
  EXPECT_TRUE(MatchesGolden(BuildUvmDocument(in), kTunedGolden));
}

TEST(UvmDocumentTest, RelativePathsAndZeroSizesAreRefused) {
  UvmDocumentInput relative_files = Input();
  relative_files.utility_vm_path = "layers\\base\\UtilityVM";
  UvmDocumentInput relative_scratch = Input();
  relative_scratch.scratch_vhd_path = "sandbox.vhdx";
  UvmDocumentInput no_memory = Input();
  no_memory.options.memory_size_in_mb = 0;
  UvmDocumentInput no_cpu = Input();
  no_cpu.options.processor_count = 0;
  for (const UvmDocumentInput& in : {relative_files, relative_scratch, no_memory, no_cpu}) {
    absl::StatusOr<std::string> doc = BuildUvmDocument(in);
    ASSERT_FALSE(doc.ok());
    EXPECT_EQ(doc.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(doc.status().message(), HasSubstr("pod-1@vm"));
  }
}

}  // namespace
}  // namespace silo::runtime::windows::hypervisor
