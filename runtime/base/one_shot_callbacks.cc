#include "runtime/base/one_shot_callbacks.h"

namespace silo {

OneShotCallbacks::OneShotCallbacks() : thread_([this] { Run(); }) {}

OneShotCallbacks::~OneShotCallbacks() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

uint64_t OneShotCallbacks::Add(std::function<void()> fn) {
  MutexLock lock(&mu_);
  const uint64_t token = next_++;
  pending_[token] = std::move(fn);
  return token;
}

void OneShotCallbacks::Fire(uint64_t token) {
  MutexLock lock(&mu_);
  if (pending_.count(token) == 0) return;
  fired_.push_back(token);
}

void OneShotCallbacks::Cancel(uint64_t token) {
  MutexLock lock(&mu_);
  pending_.erase(token);
  if (std::this_thread::get_id() == thread_.get_id()) return;
  Cancelling cancelling{this, token};
  mu_.Await(absl::Condition(&NotRunning, &cancelling));
}

size_t OneShotCallbacks::size() const {
  MutexLock lock(&mu_);
  return pending_.size();
}

void OneShotCallbacks::Run() {
  while (true) {
    std::function<void()> fn;
    {
      MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &OneShotCallbacks::Woken));
      if (stopping_) return;
      const uint64_t token = fired_.front();
      fired_.pop_front();
      auto it = pending_.find(token);
      if (it == pending_.end()) continue;  // cancelled, or fired twice
      fn = std::move(it->second);
      pending_.erase(it);
      running_ = token;
    }
    fn();
    fn = nullptr;  // whatever it captured goes before Cancel may return
    MutexLock lock(&mu_);
    running_ = 0;
  }
}

}  // namespace silo
