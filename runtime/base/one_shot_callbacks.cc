#include "runtime/base/one_shot_callbacks.h"

namespace silo {

OneShotCallbacks::OneShotCallbacks() : thread_([this] { Run(); }) {}

OneShotCallbacks::~OneShotCallbacks() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

uint64_t OneShotCallbacks::Add(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t token = next_++;
  pending_[token] = std::move(fn);
  return token;
}

void OneShotCallbacks::Fire(uint64_t token) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (pending_.count(token) == 0) return;
    fired_.push_back(token);
  }
  cv_.notify_all();
}

void OneShotCallbacks::Cancel(uint64_t token) {
  std::unique_lock<std::mutex> lock(mu_);
  pending_.erase(token);
  if (std::this_thread::get_id() == thread_.get_id()) return;
  idle_.wait(lock, [&] { return running_ != token; });
}

size_t OneShotCallbacks::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_.size();
}

void OneShotCallbacks::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !fired_.empty(); });
    if (stopping_) return;
    const uint64_t token = fired_.front();
    fired_.pop_front();
    auto it = pending_.find(token);
    if (it == pending_.end()) continue;  // cancelled, or fired twice
    std::function<void()> fn = std::move(it->second);
    pending_.erase(it);
    running_ = token;
    lock.unlock();
    fn();
    fn = nullptr;  // whatever it captured goes before Cancel may return
    lock.lock();
    running_ = 0;
    idle_.notify_all();
  }
}

}  // namespace silo
