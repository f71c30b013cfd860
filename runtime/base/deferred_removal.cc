#include "runtime/base/deferred_removal.h"

#include <chrono>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace silo {
namespace fs = std::filesystem;

namespace {

absl::Status RemoveNow(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) return absl::InternalError(absl::StrCat("remove ", path, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace

std::string DeferredRemoval::TrashDir(const std::string& parent) { return parent + "/.trash"; }

DeferredRemoval::~DeferredRemoval() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (worker_.joinable()) worker_.join();
}

absl::Status DeferredRemoval::Discard(const std::string& path) {
  const fs::path from(path);
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(from, ec))) return absl::OkStatus();
  const fs::path trash = TrashDir(from.parent_path().string());
  fs::create_directories(trash, ec);
  uint64_t n = 0;
  {
    MutexLock lock(&mu_);
    n = ++counter_;
  }
  // The start time and the counter keep names unique across restarts.
  const fs::path to = trash / absl::StrCat(from.filename().string(), ".", started_ns_, ".", n);
  fs::rename(from, to, ec);
  if (ec) return RemoveNow(path);
  Enqueue(to.string());
  return absl::OkStatus();
}

void DeferredRemoval::Sweep(const std::string& parent) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(TrashDir(parent), ec)) Enqueue(entry.path().string());
}

void DeferredRemoval::Enqueue(std::string path) {
  MutexLock lock(&mu_);
  queue_.push_back(std::move(path));
  if (!worker_.joinable()) worker_ = std::thread([this] { Work(); });
}

void DeferredRemoval::Drain() {
  MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](DeferredRemoval* self) ABSL_NO_THREAD_SAFETY_ANALYSIS { return self->queue_.empty() && !self->busy_; },
      this));
}

void DeferredRemoval::Work() {
  while (true) {
    std::string path;
    {
      MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](DeferredRemoval* self) ABSL_NO_THREAD_SAFETY_ANALYSIS { return !self->queue_.empty() || self->stopping_; },
          this));
      if (queue_.empty()) return;  // stopping, nothing left
      path = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    if (absl::Status s = RemoveNow(path); !s.ok()) spdlog::warn("deferred removal: {}", s.ToString());
    MutexLock lock(&mu_);
    busy_ = false;
  }
}

}  // namespace silo
