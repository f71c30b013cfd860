#pragma once
// PodVms: the utility VMs of one hypervisor handler's pods, by sandbox id,
// shared by its sandbox host (which creates and ends them) and its
// container host (which mounts containers' layers in them).
// Thread-safe: the table has its own mutex; each PodVm has one that
// serialises its VM's devices, mounts and record. Never take the table's
// mutex while holding a pod's.

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "runtime/base/mutex.h"
#include "runtime/windows/hypervisor/container_layers.h"
#include "runtime/windows/hypervisor/pod_vm_record.h"
#include "runtime/windows/hypervisor/uvm_pod.h"

namespace silo::runtime::windows::hypervisor {

struct PodVm {
  explicit PodVm(std::string id) : sandbox_id(std::move(id)) {}
  const std::string sandbox_id;
  silo::Mutex mu;
  std::unique_ptr<UvmPod> vm ABSL_GUARDED_BY(mu);
  UvmDevices devices ABSL_GUARDED_BY(mu);
  std::map<std::string, std::unique_ptr<ContainerLayers>> mounts ABSL_GUARDED_BY(mu);
  PodVmRecord record ABSL_GUARDED_BY(mu);
};

class PodVms {
 public:
  // `state_dir` holds the pods' records (pod_vm_record.h).
  explicit PodVms(std::string state_dir) : state_dir_(std::move(state_dir)) {}

  const std::string& state_dir() const { return state_dir_; }
  // Null when the pod has no VM in this process.
  std::shared_ptr<PodVm> Find(const std::string& sandbox_id) const;
  // The pod whose VM holds container `container_id`'s mounts; null when none.
  std::shared_ptr<PodVm> FindByContainer(const std::string& container_id) const;
  void Put(std::shared_ptr<PodVm> pod);
  // Removes and returns the pod (null when absent).
  std::shared_ptr<PodVm> Take(const std::string& sandbox_id);
  // Writes the pod's record; the caller holds pod.mu.
  absl::Status Save(PodVm& pod) ABSL_EXCLUSIVE_LOCKS_REQUIRED(pod.mu) {
    return SavePodVmRecord(state_dir_, pod.sandbox_id, pod.record);
  }

 private:
  const std::string state_dir_;
  mutable silo::Mutex mu_;
  std::map<std::string, std::shared_ptr<PodVm>> pods_ ABSL_GUARDED_BY(mu_);
};

}  // namespace silo::runtime::windows::hypervisor
