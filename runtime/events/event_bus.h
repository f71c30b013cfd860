#pragma once
// EventBus: in-process publish/subscribe of container and sandbox life-cycle
// events, the source of the CRI GetContainerEvents stream (Evented PLEG).
//
// Publishers never block: each subscriber has a bounded queue, and a
// subscriber whose queue is full is marked overflowed and closed (its Next
// then fails with ResourceExhausted), so a slow client makes kubelet relist
// instead of stalling sandbox and container operations, as containerd does.
//
// Thread safety: all methods of EventBus and Subscription are thread-safe.
// The bus must outlive every Subscription taken from it.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/base/mutex.h"

namespace silo::runtime::events {

enum class EventKind { kSandbox, kContainer };
enum class EventType { kCreated, kStarted, kStopped, kDeleted };

const char* EventKindName(EventKind kind);
const char* EventTypeName(EventType type);

struct Event {
  EventKind kind = EventKind::kContainer;
  EventType type = EventType::kCreated;
  std::string id;          // the container id, or the sandbox id for sandbox events
  std::string sandbox_id;  // the pod; equal to `id` for sandbox events
  int64_t timestamp_ns = 0;
};

// What the managers publish to; nullable in their constructors.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // Must not block for long; called with per-object locks held.
  virtual void Publish(Event event) = 0;
};

// Nanoseconds since the Unix epoch, the timestamp of a new event.
int64_t EventNowNs();

class EventBus final : public EventSink {
 private:
  struct Queue;

 public:
  static constexpr size_t kDefaultQueueCapacity = 1000;

  // RAII: unsubscribes on destruction. Movable, not copyable.
  class Subscription {
   public:
    Subscription(Subscription&& other) noexcept = default;
    Subscription& operator=(Subscription&& other) noexcept;
    ~Subscription();

    // The next event, waiting until `deadline`. DeadlineExceeded if none
    // arrived in time; ResourceExhausted once the queue overflowed (events
    // were lost: the subscriber must resynchronise); Unavailable once the
    // bus was closed.
    absl::StatusOr<Event> Next(std::chrono::steady_clock::time_point deadline);

   private:
    friend class EventBus;
    Subscription(EventBus* bus, std::shared_ptr<Queue> queue) : bus_(bus), queue_(std::move(queue)) {}
    void Reset();

    EventBus* bus_ = nullptr;
    std::shared_ptr<Queue> queue_;
  };

  explicit EventBus(size_t queue_capacity = kDefaultQueueCapacity) : capacity_(queue_capacity) {}
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  // Receives every event published from now on.
  Subscription Subscribe();
  // Ends every subscription (now and later) with Unavailable and drops later
  // events, so streams finish promptly at daemon shutdown. Idempotent.
  void Close();
  void Publish(Event event) override;
  size_t subscriber_count() const;

 private:
  struct Queue {
    // Something for Next: an event, an overflow or the end.
    bool Ready() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return overflowed || closed || !events.empty(); }
    silo::Mutex mu;
    std::deque<Event> events ABSL_GUARDED_BY(mu);
    bool overflowed ABSL_GUARDED_BY(mu) = false;
    bool closed ABSL_GUARDED_BY(mu) = false;
  };
  void Unsubscribe(const Queue* queue);

  const size_t capacity_;
  mutable silo::Mutex mu_;  // taken before any queue's
  std::vector<std::shared_ptr<Queue>> queues_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace silo::runtime::events
