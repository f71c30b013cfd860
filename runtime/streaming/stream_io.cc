#include "runtime/streaming/stream_io.h"

#include <algorithm>
#include "runtime/base/mutex.h"

namespace silo::runtime::streaming {

bool ByteQueue::Write(std::string_view data) {
  silo::MutexLock lock(&mu_);
  while (!data.empty()) {
    mu_.Await(absl::Condition(
        +[](ByteQueue* q) ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu_) {
          return q->closed_ || q->write_closed_ || q->buf_.size() < q->capacity_;
        },
        this));
    if (closed_ || write_closed_) return false;
    size_t n = std::min(data.size(), capacity_ - buf_.size());
    buf_.append(data.substr(0, n));
    data.remove_prefix(n);
  }
  return true;
}

void ByteQueue::CloseWrite() {
  silo::MutexLock lock(&mu_);
  write_closed_ = true;
}

std::optional<std::string> ByteQueue::Read(size_t max) {
  silo::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](ByteQueue* q) ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu_) {
        return q->closed_ || q->write_closed_ || !q->buf_.empty();
      },
      this));
  if (closed_ || buf_.empty()) return std::nullopt;
  size_t n = std::min(max, buf_.size());
  std::string out = buf_.substr(0, n);
  buf_.erase(0, n);
  return out;
}

void ByteQueue::Close() {
  silo::MutexLock lock(&mu_);
  closed_ = true;
  buf_.clear();
}

bool ByteQueue::abandoned() {
  silo::MutexLock lock(&mu_);
  return closed_;
}

void ResizeQueue::Push(TerminalSize size) {
  silo::MutexLock lock(&mu_);
  if (closed_) return;
  if (sizes_.size() >= kCapacity) sizes_.pop_front();
  sizes_.push_back(size);
}

std::optional<TerminalSize> ResizeQueue::Next() {
  silo::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](ResizeQueue* q) ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu_) {
        return q->closed_ || !q->sizes_.empty();
      },
      this));
  if (sizes_.empty()) return std::nullopt;
  TerminalSize s = sizes_.front();
  sizes_.pop_front();
  return s;
}

std::optional<TerminalSize> ResizeQueue::TryNext() {
  silo::MutexLock lock(&mu_);
  if (sizes_.empty()) return std::nullopt;
  TerminalSize s = sizes_.front();
  sizes_.pop_front();
  return s;
}

bool ResizeQueue::Wait() {
  silo::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](ResizeQueue* q) ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu_) {
        return q->closed_ || !q->sizes_.empty();
      },
      this));
  return !sizes_.empty();
}

void ResizeQueue::Close() {
  silo::MutexLock lock(&mu_);
  closed_ = true;
}

}  // namespace silo::runtime::streaming
