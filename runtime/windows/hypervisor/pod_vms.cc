#include "runtime/windows/hypervisor/pod_vms.h"

#include <vector>

namespace silo::runtime::windows::hypervisor {

std::shared_ptr<PodVm> PodVms::Find(const std::string& sandbox_id) const {
  silo::MutexLock lock(&mu_);
  auto it = pods_.find(sandbox_id);
  return it == pods_.end() ? nullptr : it->second;
}

std::shared_ptr<PodVm> PodVms::FindByContainer(const std::string& container_id) const {
  std::vector<std::shared_ptr<PodVm>> pods;
  {
    silo::MutexLock lock(&mu_);
    for (const auto& [id, pod] : pods_) pods.push_back(pod);
  }
  for (const std::shared_ptr<PodVm>& pod : pods) {
    silo::MutexLock lock(&pod->mu);
    if (pod->mounts.count(container_id) != 0) return pod;
  }
  return nullptr;
}

void PodVms::Put(std::shared_ptr<PodVm> pod) {
  silo::MutexLock lock(&mu_);
  pods_[pod->sandbox_id] = std::move(pod);
}

std::shared_ptr<PodVm> PodVms::Take(const std::string& sandbox_id) {
  silo::MutexLock lock(&mu_);
  auto it = pods_.find(sandbox_id);
  if (it == pods_.end()) return nullptr;
  std::shared_ptr<PodVm> pod = std::move(it->second);
  pods_.erase(it);
  return pod;
}

}  // namespace silo::runtime::windows::hypervisor
