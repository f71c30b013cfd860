#include "runtime/windows/shim/output_tap.h"

namespace silo::runtime::windows::shim {

void QueueTap::Output(LogStream stream, std::string_view chunk) {
  std::lock_guard<std::mutex> lock(mu_);
  if (overflowed_ || ended_) return;
  backlog_ += chunk.size();
  if (backlog_ > kMaxTapBacklog) {
    overflowed_ = true;
  } else {
    chunks_.push_back({stream, std::string(chunk)});
  }
  cv_.notify_all();
}

void QueueTap::Ended() {
  std::lock_guard<std::mutex> lock(mu_);
  ended_ = true;
  cv_.notify_all();
}

void QueueTap::Cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = true;
  cv_.notify_all();
}

QueueTap::Next QueueTap::Pop(LogStream* stream, std::string* chunk) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return cancelled_ || overflowed_ || ended_ || !chunks_.empty(); });
  if (cancelled_) return Next::kCancelled;
  if (overflowed_) return Next::kOverflowed;
  if (chunks_.empty()) return Next::kEnded;
  *stream = chunks_.front().first;
  *chunk = std::move(chunks_.front().second);
  chunks_.pop_front();
  backlog_ -= chunk->size();
  return Next::kChunk;
}

}  // namespace silo::runtime::windows::shim
