#pragma once
// The sizing and tuning of a pod's utility VM: the handler's defaults from
// config, overridden per pod by the annotations hcsshim documents in
// pkg/annotations/annotations.go and parses in internal/oci/uvm.go
// (specToUVMCreateOptionsCommon and its WCOW branch). Pure; thread-safe.
//
// hcsshim logs a bad annotation value and keeps the default; Silo refuses
// the pod instead (InvalidArgument naming the annotation), so a typo in a
// memory size never boots a VM of the wrong size. Annotations hcsshim knows
// but this handler cannot honour (vNUMA, confidential WCOW, kernel drivers,
// ...) are refused with Unimplemented rather than silently ignored.

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace silo::runtime::windows::hypervisor {

namespace annotation {
inline constexpr char kMemorySizeInMb[] = "io.microsoft.virtualmachine.computetopology.memory.sizeinmb";
inline constexpr char kAllowOvercommit[] = "io.microsoft.virtualmachine.computetopology.memory.allowovercommit";
inline constexpr char kEnableDeferredCommit[] =
    "io.microsoft.virtualmachine.computetopology.memory.enabledeferredcommit";
inline constexpr char kLowMmioGapInMb[] = "io.microsoft.virtualmachine.computetopology.memory.lowmmiogapinmb";
inline constexpr char kHighMmioBaseInMb[] = "io.microsoft.virtualmachine.computetopology.memory.highmmiobaseinmb";
inline constexpr char kHighMmioGapInMb[] = "io.microsoft.virtualmachine.computetopology.memory.highmmiogapinmb";
inline constexpr char kFullyPhysicallyBacked[] = "io.microsoft.virtualmachine.fullyphysicallybacked";
inline constexpr char kProcessorCount[] = "io.microsoft.virtualmachine.computetopology.processor.count";
inline constexpr char kProcessorLimit[] = "io.microsoft.virtualmachine.computetopology.processor.limit";
inline constexpr char kProcessorWeight[] = "io.microsoft.virtualmachine.computetopology.processor.weight";
inline constexpr char kCpuGroupId[] = "io.microsoft.virtualmachine.cpugroup.id";
inline constexpr char kStorageQosBandwidthMaximum[] = "io.microsoft.virtualmachine.storageqos.bandwidthmaximum";
inline constexpr char kStorageQosIopsMaximum[] = "io.microsoft.virtualmachine.storageqos.iopsmaximum";
inline constexpr char kDisableCompartmentNamespace[] = "io.microsoft.virtualmachine.disablecompartmentnamespace";
inline constexpr char kVsmbNoDirectMap[] = "io.microsoft.virtualmachine.wcow.virtualSMB.nodirectmap";
}  // namespace annotation

struct UvmOptions {
  uint64_t memory_size_in_mb = 1024;  // hcsshim newDefaultOptions
  bool allow_overcommit = true;       // virtual (pageable) memory backing
  bool enable_deferred_commit = false;
  uint64_t low_mmio_gap_in_mb = 0;  // 0 = HCS's default
  uint64_t high_mmio_base_in_mb = 0;
  uint64_t high_mmio_gap_in_mb = 0;
  // Physically backed memory for the VM and the devices added later (VSMB
  // shares then never direct-map).
  bool fully_physically_backed = false;
  uint32_t processor_count = 2;
  uint64_t processor_limit = 0;   // 1..100000 (100000 = 100% of the VM's processors); 0 = HCS default
  uint64_t processor_weight = 0;  // 0..10000; 0 = HCS default
  std::string cpu_group_id;       // GUID of an existing host CPU group; empty = none
  int32_t storage_qos_iops_maximum = 0;
  int32_t storage_qos_bandwidth_maximum = 0;
  // Leave out the gns EnableCompartmentNamespace registry value.
  bool disable_compartment_namespace = false;
  bool vsmb_no_direct_map = false;
};

// `defaults` overridden by `annotations` (the pod sandbox config's). Keys
// outside io.microsoft.virtualmachine.* are ignored. Booleans take Go's
// strconv.ParseBool spellings (1 t T TRUE true True, 0 f F FALSE false
// False), as hcsshim does; numbers are unsigned decimal. Ranges: memory and
// processor count at least 1, processor limit 1..100000, weight 0..10000,
// QoS values 0..INT32_MAX, CPU group a GUID. fullyphysicallybacked=true also
// turns overcommit off, as in hcsshim. InvalidArgument names the annotation
// and the bad value.
absl::StatusOr<UvmOptions> ApplyUvmAnnotations(const UvmOptions& defaults,
                                               const std::map<std::string, std::string>& annotations);

}  // namespace silo::runtime::windows::hypervisor
