#pragma once
// PodVmRecord: what a restarted silod needs to take over a Hyper-V pod, kept
// as <state_dir>/<sandbox id>.uvm.json: the utility VM's id and scratch, the
// namespace and adapters added to it, and each hosted container's mounts
// (VSMB share names, scratch, LUN). Written atomically: before the VM is
// created, and after each container's mount is made or released (a crash
// inside a mount leaves devices only in the VM, which go with it). Pure JSON
// conversion plus the file I/O; thread compatible.

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/windows/hypervisor/container_layers.h"
#include "runtime/windows/hypervisor/uvm_pod.h"

namespace silo::runtime::windows::hypervisor {

struct PodVmRecord {
  // What UvmPod::Open needs: vm id, scratch, namespace, adapters (the
  // document's sizing is not kept: it does not change a running VM).
  UvmPodSpec vm;
  std::string utility_vm_path;
  std::map<std::string, MountedLayers> containers;  // by container id
};

std::string PodVmRecordToJson(const PodVmRecord& record);
// InvalidArgument naming the first bad field.
absl::StatusOr<PodVmRecord> ParsePodVmRecord(const std::string& json);

// "<state_dir>/<sandbox id>.uvm.json".
std::string PodVmRecordPath(const std::string& state_dir, const std::string& sandbox_id);
// Atomic (temp file + rename), 0600.
absl::Status SavePodVmRecord(const std::string& state_dir, const std::string& sandbox_id, const PodVmRecord& record);
// NotFound when there is no record.
absl::StatusOr<PodVmRecord> LoadPodVmRecord(const std::string& state_dir, const std::string& sandbox_id);
// OK when already gone.
absl::Status DeletePodVmRecord(const std::string& state_dir, const std::string& sandbox_id);

}  // namespace silo::runtime::windows::hypervisor
