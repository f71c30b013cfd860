#include "image/fake/fake_layer_store.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace silo::image::fake {

absl::StatusOr<PreparedRootfs> FakeLayerStore::Prepare(const std::string& container_id,
                                                       const std::vector<std::string>& chain_ids) {
  silo::MutexLock lock(&mu_);
  calls_.push_back(absl::StrCat("Prepare ", container_id));
  if (!fail_next_.ok()) return std::exchange(fail_next_, absl::OkStatus());
  if (layers_.count(container_id) != 0) {
    return absl::AlreadyExistsError(absl::StrCat("container ", container_id, " has a writable layer"));
  }
  layers_[container_id] = {chain_ids, true};
  PreparedRootfs out;
  out.path = absl::StrCat("/fake-rootfs/", container_id);
  for (const std::string& chain : chain_ids) {
    out.layer_dirs.push_back(layer_dir_ ? layer_dir_(chain) : absl::StrCat("/fake-layers/", chain));
  }
  return out;
}

absl::Status FakeLayerStore::Release(const std::string& container_id) {
  silo::MutexLock lock(&mu_);
  calls_.push_back(absl::StrCat("Release ", container_id));
  if (auto it = layers_.find(container_id); it != layers_.end()) it->second.mounted = false;
  return absl::OkStatus();
}

absl::Status FakeLayerStore::Remove(const std::string& container_id) {
  silo::MutexLock lock(&mu_);
  calls_.push_back(absl::StrCat("Remove ", container_id));
  layers_.erase(container_id);
  return absl::OkStatus();
}

void FakeLayerStore::FailNextPrepare(absl::Status error) {
  silo::MutexLock lock(&mu_);
  fail_next_ = std::move(error);
}

std::vector<std::string> FakeLayerStore::Calls() const {
  silo::MutexLock lock(&mu_);
  return calls_;
}

bool FakeLayerStore::Has(const std::string& container_id) const {
  silo::MutexLock lock(&mu_);
  return layers_.count(container_id) != 0;
}

bool FakeLayerStore::Mounted(const std::string& container_id) const {
  silo::MutexLock lock(&mu_);
  auto it = layers_.find(container_id);
  return it != layers_.end() && it->second.mounted;
}

std::vector<std::string> FakeLayerStore::ChainOf(const std::string& container_id) const {
  silo::MutexLock lock(&mu_);
  auto it = layers_.find(container_id);
  return it == layers_.end() ? std::vector<std::string>() : it->second.chain_ids;
}

}  // namespace silo::image::fake
