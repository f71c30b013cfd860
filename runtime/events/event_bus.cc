#include "runtime/events/event_bus.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"

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
  Queue& q = *queue_;
  silo::MutexLock lock(&q.mu);
  q.mu.AwaitWithTimeout(absl::Condition(&q, &Queue::Ready),
                        absl::FromChrono(deadline - std::chrono::steady_clock::now()));
  if (q.closed) return absl::UnavailableError("event bus closed: the daemon is shutting down");
  // Overflow wins over queued events: they no longer describe a complete history.
  if (q.overflowed) {
    return absl::ResourceExhaustedError("event subscriber fell behind: its queue overflowed and events were lost");
  }
  if (q.events.empty()) return absl::DeadlineExceededError("no event before the deadline");
  Event event = std::move(q.events.front());
  q.events.pop_front();
  return event;
}

EventBus::Subscription EventBus::Subscribe() {
  auto queue = std::make_shared<Queue>();
  silo::MutexLock guard(&mu_);
  if (closed_) {
    Queue& q = *queue;  // not shared yet; locked for the analysis' sake
    silo::MutexLock qguard(&q.mu);
    q.closed = true;
  } else {
    queues_.push_back(queue);
  }
  return Subscription(this, std::move(queue));
}

void EventBus::Unsubscribe(const Queue* queue) {
  silo::MutexLock guard(&mu_);
  queues_.erase(std::remove_if(queues_.begin(), queues_.end(), [&](const auto& q) { return q.get() == queue; }),
                queues_.end());
}

void EventBus::Close() {
  silo::MutexLock guard(&mu_);
  closed_ = true;
  for (const std::shared_ptr<Queue>& queue : queues_) {
    Queue& q = *queue;
    silo::MutexLock qguard(&q.mu);
    q.closed = true;
  }
  queues_.clear();
}

void EventBus::Publish(Event event) {
  silo::MutexLock guard(&mu_);
  // Overflowed queues are closed: they leave the bus and wait for their reader.
  auto full = std::remove_if(queues_.begin(), queues_.end(), [&](const std::shared_ptr<Queue>& queue) {
    Queue& q = *queue;
    silo::MutexLock qguard(&q.mu);
    if (q.events.size() >= capacity_) {
      q.overflowed = true;
      q.events.clear();
    } else {
      q.events.push_back(event);
    }
    return q.overflowed;
  });
  queues_.erase(full, queues_.end());
}

size_t EventBus::subscriber_count() const {
  silo::MutexLock guard(&mu_);
  return queues_.size();
}

}  // namespace silo::runtime::events
