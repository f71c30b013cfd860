#include "runtime/events/event_bus.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"

namespace silo::runtime::events {

const char* EventKindName(EventKind kind) {
  return kind == EventKind::kSandbox ? "sandbox" : "container";
}

const char* EventTypeName(EventType type) {
  switch (type) {
    case EventType::kCreated:
      return "CREATED";
    case EventType::kStarted:
      return "STARTED";
    case EventType::kStopped:
      return "STOPPED";
    case EventType::kDeleted:
      return "DELETED";
  }
  return "UNKNOWN";
}

int64_t EventNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

EventBus::Subscription& EventBus::Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    Reset();
    bus_ = std::exchange(other.bus_, nullptr);
    queue_ = std::move(other.queue_);
  }
  return *this;
}

EventBus::Subscription::~Subscription() { Reset(); }

void EventBus::Subscription::Reset() {
  if (bus_ != nullptr && queue_ != nullptr) bus_->Unsubscribe(queue_.get());
  bus_ = nullptr;
  queue_.reset();
}

absl::StatusOr<Event> EventBus::Subscription::Next(std::chrono::steady_clock::time_point deadline) {
  if (queue_ == nullptr) return absl::FailedPreconditionError("event subscription was moved from");
  std::unique_lock<std::mutex> lock(queue_->mu);
  queue_->cv.wait_until(lock, deadline,
                        [&] { return queue_->overflowed || queue_->closed || !queue_->events.empty(); });
  if (queue_->closed) return absl::UnavailableError("event bus closed: the daemon is shutting down");
  // Overflow wins over queued events: they no longer describe a complete history.
  if (queue_->overflowed) {
    return absl::ResourceExhaustedError("event subscriber fell behind: its queue overflowed and events were lost");
  }
  if (queue_->events.empty()) return absl::DeadlineExceededError("no event before the deadline");
  Event event = std::move(queue_->events.front());
  queue_->events.pop_front();
  return event;
}

EventBus::Subscription EventBus::Subscribe() {
  auto queue = std::make_shared<Queue>();
  std::lock_guard<std::mutex> guard(mu_);
  if (closed_) {
    queue->closed = true;
  } else {
    queues_.push_back(queue);
  }
  return Subscription(this, std::move(queue));
}

void EventBus::Unsubscribe(const Queue* queue) {
  std::lock_guard<std::mutex> guard(mu_);
  queues_.erase(std::remove_if(queues_.begin(), queues_.end(), [&](const auto& q) { return q.get() == queue; }),
                queues_.end());
}

void EventBus::Close() {
  std::lock_guard<std::mutex> guard(mu_);
  closed_ = true;
  for (const std::shared_ptr<Queue>& q : queues_) {
    std::lock_guard<std::mutex> qguard(q->mu);
    q->closed = true;
    q->cv.notify_all();
  }
  queues_.clear();
}

void EventBus::Publish(Event event) {
  std::lock_guard<std::mutex> guard(mu_);
  // Overflowed queues are closed: they leave the bus and wait for their reader.
  auto full = std::remove_if(queues_.begin(), queues_.end(), [&](const std::shared_ptr<Queue>& q) {
    std::lock_guard<std::mutex> qguard(q->mu);
    if (q->events.size() >= capacity_) {
      q->overflowed = true;
      q->events.clear();
    } else {
      q->events.push_back(event);
    }
    q->cv.notify_all();
    return q->overflowed;
  });
  queues_.erase(full, queues_.end());
}

size_t EventBus::subscriber_count() const {
  std::lock_guard<std::mutex> guard(mu_);
  return queues_.size();
}

}  // namespace silo::runtime::events
