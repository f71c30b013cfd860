// ContainerManager's exit watches: one per RUNNING container, so an exit is
// recorded (and STOPPED emitted) when it happens. See container_manager.h.
#include "absl/cleanup/cleanup.h"
#include "runtime/container/container_manager.h"
#include "spdlog/spdlog.h"

namespace silo::runtime::container {

ContainerManager::~ContainerManager() {
  std::map<std::string, Watch> watches;
  {
    silo::MutexLock lock(&watches_mu_);
    closing_ = true;
    watches.swap(watches_);
  }
  watches.clear();  // waits for a callback whose watch is still held
  // A callback drops its own watch before it records the exit, so that
  // wait does not cover it: wait for it here.
  silo::MutexLock lock(&watches_mu_);
  watches_mu_.Await(absl::Condition(this, &ContainerManager::CallbacksIdle));
}

bool ContainerManager::CallbacksIdle() const { return callbacks_running_ == 0; }

bool ContainerManager::Watched(const std::string& id) {
  silo::MutexLock lock(&watches_mu_);
  auto it = watches_.find(id);
  return it != watches_.end() && it->second.watch != nullptr;
}

void ContainerManager::EnsureWatched(const model::ContainerRecord& record) {
  const std::string& id = record.id;
  absl::StatusOr<ContainerHost*> host = HostOf(record);
  if (!host.ok()) {
    spdlog::warn("container {}: no exit watch: {}", id, std::string(host.status().message()));
    return;  // Status and List keep asking the host
  }
  uint64_t generation = 0;
  {
    silo::MutexLock lock(&watches_mu_);
    if (closing_ || watches_.count(id) != 0) return;  // watched, or being set up
    generation = next_generation_++;
    watches_[id].generation = generation;
  }
  // Unlocked: connecting to the shim may take a moment, and the callback
  // (which may fire before this returns) takes the lock.
  std::unique_ptr<ExitWatch> watch =
      (*host)->WatchExit(id, record.host_handle, [this, id, generation] { OnExitSignal(id, generation); });
  std::unique_ptr<ExitWatch> spent;  // destroyed after the lock is released
  {
    silo::MutexLock lock(&watches_mu_);
    auto it = watches_.find(id);
    if (it == watches_.end() || it->second.generation != generation || closing_) {
      spent = std::move(watch);  // it fired already and dropped the placeholder
    } else if (watch == nullptr) {
      watches_.erase(it);  // no push for this one: Status and List keep asking
    } else {
      it->second.watch = std::move(watch);
    }
  }
}

void ContainerManager::DropWatch(const std::string& id) {
  Watch dropped;  // destroyed once the lock is released: it may wait for its callback
  silo::MutexLock lock(&watches_mu_);
  auto it = watches_.find(id);
  if (it == watches_.end()) return;
  dropped = std::move(it->second);
  watches_.erase(it);
}

void ContainerManager::OnExitSignal(const std::string& id, uint64_t generation) {
  std::unique_ptr<ExitWatch> spent;  // a watch answers once
  {
    silo::MutexLock lock(&watches_mu_);
    if (closing_) return;
    ++callbacks_running_;
    auto it = watches_.find(id);
    if (it != watches_.end() && it->second.generation == generation) {
      spent = std::move(it->second.watch);
      watches_.erase(it);
    }
  }
  // The destructor waits for this callback until it leaves.
  absl::Cleanup done = [this] {
    silo::MutexLock lock(&watches_mu_);
    --callbacks_running_;
  };
  spent.reset();
  auto record = store_->Get(id);
  if (!record.ok()) return;  // removed meanwhile
  auto now = Refresh(*record);
  if (!now.ok()) {
    spdlog::warn("container {}: exit signalled but not recorded: {}", id, std::string(now.status().message()));
  }
}

}  // namespace silo::runtime::container
