#include "runtime/windows/hypervisor/uvm_document.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "runtime/windows/hypervisor/modify_request.h"
#include "runtime/windows/hypervisor/scsi_disk.h"
#include "runtime/windows/hypervisor/vsmb_share.h"

namespace silo::runtime::windows::hypervisor {
namespace {

using nlohmann::json;

json Memory(const UvmOptions& o) {
  json memory = {{"SizeInMB", (o.memory_size_in_mb + 1) & ~uint64_t{1}}};
  if (o.allow_overcommit) {
    memory["AllowOvercommit"] = true;
    memory["EnableHotHint"] = true;
  }
  if (o.enable_deferred_commit) memory["EnableDeferredCommit"] = true;
  // Schema spelling is "Mmio", not "MMIO" (virtual_machine_memory.go).
  if (o.low_mmio_gap_in_mb != 0) memory["LowMmioGapInMB"] = o.low_mmio_gap_in_mb;
  if (o.high_mmio_base_in_mb != 0) memory["HighMmioBaseInMB"] = o.high_mmio_base_in_mb;
  if (o.high_mmio_gap_in_mb != 0) memory["HighMmioGapInMB"] = o.high_mmio_gap_in_mb;
  return memory;
}

json Processor(const UvmOptions& o, uint32_t host_processor_count) {
  uint32_t count = o.processor_count;
  if (host_processor_count > 0) count = std::min(count, host_processor_count);
  json processor = {{"Count", count}};
  if (o.processor_limit != 0) processor["Limit"] = o.processor_limit;
  if (o.processor_weight != 0) processor["Weight"] = o.processor_weight;
  if (!o.cpu_group_id.empty()) processor["CpuGroup"] = {{"Id", o.cpu_group_id}};
  return processor;
}

// The registry values hcsshim always adds: GNS's compartment namespace,
// needed for SMB access from the guest's container compartments. Opt-out
// annotation only. The key names CurrentControlSet, as hcsshim does: this
// hive is the running guest's, not an offline one.
json RegistryChanges(const UvmOptions& o) {
  json changes = json::object();
  if (!o.disable_compartment_namespace) {
    changes["AddValues"] = json::array({json{
        {"Key", {{"Hive", "System"}, {"Name", "CurrentControlSet\\Services\\gns"}}},
        {"Name", "EnableCompartmentNamespace"},
        {"Type", "DWord"},
        {"DWordValue", 1},
    }});
  }
  return changes;
}

json Devices(const UvmDocumentInput& in, const std::string& os_files) {
  const UvmOptions& o = in.options;
  const bool no_direct_map = o.fully_physically_backed || o.vsmb_no_direct_map;
  return {
      {"Scsi", {{kScsiController0, {{"Attachments", {{"0", VirtualDiskAttachment(in.scratch_vhd_path)}}}}}}},
      // ServiceTable is an empty map in hcsshim, which omitempty drops.
      {"HvSocket", {{"HvSocketConfig", {{"DefaultBindSecurityDescriptor", kHvSocketBindDescriptor}}}}},
      {"VirtualSmb",
       {{"DirectFileMappingInMB", 1024}, {"Shares", json::array({VsmbShare(kUvmOsShareName, os_files, no_direct_map)})}}},
  };
}

absl::StatusOr<json> Build(const UvmDocumentInput& in) {
  const UvmOptions& o = in.options;
  if (!IsAbsoluteWindowsPath(in.utility_vm_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("utility VM path '", in.utility_vm_path, "' is not an absolute Windows path"));
  }
  if (!IsAbsoluteWindowsPath(in.scratch_vhd_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("utility VM scratch '", in.scratch_vhd_path, "' is not an absolute Windows path"));
  }
  if (o.memory_size_in_mb == 0) return absl::InvalidArgumentError("utility VM memory size is 0 MiB");
  if (o.processor_count == 0) return absl::InvalidArgumentError("utility VM processor count is 0");
  const std::string os_files =
      absl::StrCat(absl::StripSuffix(in.utility_vm_path, "\\"), "\\Files");

  json vm = {
      {"StopOnReset", true},
      {"Chipset", {{"Uefi", {{"BootThis", {{"DeviceType", "VmbFs"}, {"DevicePath", kUvmBootPath}}}}}}},
      {"ComputeTopology", {{"Memory", Memory(o)}, {"Processor", Processor(o, in.host_processor_count)}}},
      {"Devices", Devices(in, os_files)},
      {"RegistryChanges", RegistryChanges(o)},
      {"GuestConnection", json::object()},
  };
  if (o.storage_qos_iops_maximum != 0 || o.storage_qos_bandwidth_maximum != 0) {
    json qos = json::object();
    if (o.storage_qos_iops_maximum != 0) qos["IopsMaximum"] = o.storage_qos_iops_maximum;
    if (o.storage_qos_bandwidth_maximum != 0) qos["BandwidthMaximum"] = o.storage_qos_bandwidth_maximum;
    vm["StorageQoS"] = std::move(qos);
  }
  json doc = {{"Owner", in.owner}, {"SchemaVersion", {{"Major", 2}, {"Minor", 1}}}, {"VirtualMachine", std::move(vm)}};
  if (in.terminate_on_last_handle_closed) doc["ShouldTerminateOnLastHandleClosed"] = true;
  return doc;
}

}  // namespace

absl::StatusOr<std::string> BuildUvmDocument(const UvmDocumentInput& input) {
  absl::StatusOr<json> doc = Build(input);
  if (!doc.ok()) {
    return absl::Status(doc.status().code(),
                        absl::StrCat("building utility VM document for ", input.vm_id, ": ", doc.status().message()));
  }
  return Serialize(*doc);
}

}  // namespace silo::runtime::windows::hypervisor
