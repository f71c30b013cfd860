#include "runtime/events/event_bus.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace silo::runtime::events {
namespace {

using Clock = std::chrono::steady_clock;

Event ContainerEvent(const std::string& id, EventType type) {
  return Event{EventKind::kContainer, type, id, "pod", EventNowNs()};
}

Clock::time_point Soon() { return Clock::now() + std::chrono::seconds(10); }

TEST(EventBusTest, NextTimesOutWhenNothingWasPublished) {
  EventBus bus;
  EventBus::Subscription sub = bus.Subscribe();
  auto next = sub.Next(Clock::now() + std::chrono::milliseconds(20));
  EXPECT_EQ(next.status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(EventBusTest, EverySubscriberGetsEventsInPublishOrder) {
  EventBus bus;
  EventBus::Subscription a = bus.Subscribe();
  EventBus::Subscription b = bus.Subscribe();
  bus.Publish(ContainerEvent("c1", EventType::kCreated));
  bus.Publish(ContainerEvent("c1", EventType::kStarted));
  for (EventBus::Subscription* sub : {&a, &b}) {
    auto first = sub->Next(Soon());
    ASSERT_TRUE(first.ok()) << first.status();
    EXPECT_EQ(first->id, "c1");
    EXPECT_EQ(first->type, EventType::kCreated);
    auto second = sub->Next(Soon());
    ASSERT_TRUE(second.ok()) << second.status();
    EXPECT_EQ(second->type, EventType::kStarted);
    EXPECT_GE(second->timestamp_ns, first->timestamp_ns);
  }
}

TEST(EventBusTest, SubscriberSeesOnlyEventsAfterSubscribing) {
  EventBus bus;
  bus.Publish(ContainerEvent("old", EventType::kCreated));
  EventBus::Subscription sub = bus.Subscribe();
  bus.Publish(ContainerEvent("new", EventType::kCreated));
  auto next = sub.Next(Soon());
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->id, "new");
}

TEST(EventBusTest, DestroyingTheHandleUnsubscribes) {
  EventBus bus;
  {
    EventBus::Subscription sub = bus.Subscribe();
    EventBus::Subscription moved = std::move(sub);
    EXPECT_EQ(bus.subscriber_count(), 1u);
  }
  EXPECT_EQ(bus.subscriber_count(), 0u);
  bus.Publish(ContainerEvent("c", EventType::kDeleted));  // no subscriber: nothing to do
}

TEST(EventBusTest, FullQueueOverflowsAndClosesOnlyThatSubscriber) {
  EventBus bus(/*queue_capacity=*/2);
  EventBus::Subscription slow = bus.Subscribe();
  EventBus::Subscription fast = bus.Subscribe();
  for (int i = 0; i < 3; ++i) {
    bus.Publish(ContainerEvent("c" + std::to_string(i), EventType::kCreated));
    if (i < 2) {
      ASSERT_TRUE(fast.Next(Soon()).ok());
    }
  }
  // The third event overflowed `slow`: it is closed and reports the loss.
  EXPECT_EQ(bus.subscriber_count(), 1u);
  EXPECT_EQ(slow.Next(Soon()).status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(slow.Next(Soon()).status().code(), absl::StatusCode::kResourceExhausted);
  auto last = fast.Next(Soon());
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->id, "c2");
}

TEST(EventBusTest, ConcurrentPublishersReachABlockedReaderWithoutLoss) {
  EventBus bus;
  EventBus::Subscription sub = bus.Subscribe();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 200;  // 800 < the default capacity of 1000
  std::vector<int> seen(kThreads, 0);
  std::thread reader([&] {
    for (int n = 0; n < kThreads * kPerThread; ++n) {
      auto e = sub.Next(Soon());
      ASSERT_TRUE(e.ok()) << e.status();
      int t = e->id[0] - 'a';
      int i = std::stoi(e->id.substr(1));
      // Each publisher's own events stay in order.
      EXPECT_EQ(i, seen[t]);
      seen[t] = i + 1;
    }
  });
  std::vector<std::thread> publishers;
  for (int t = 0; t < kThreads; ++t) {
    publishers.emplace_back([&bus, t] {
      for (int i = 0; i < kPerThread; ++i) {
        bus.Publish(ContainerEvent(std::string(1, static_cast<char>('a' + t)) + std::to_string(i),
                                   EventType::kStarted));
      }
    });
  }
  for (auto& p : publishers) p.join();
  reader.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(seen[t], kPerThread);
  EXPECT_EQ(sub.Next(Clock::now()).status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(EventBusTest, CloseWakesAWaitingReaderAndEndsLaterSubscriptions) {
  EventBus bus;
  EventBus::Subscription sub = bus.Subscribe();
  absl::Status seen;
  std::thread reader([&] { seen = sub.Next(Clock::now() + std::chrono::seconds(60)).status(); });
  bus.Close();
  reader.join();  // returns long before the 60 s deadline
  EXPECT_EQ(seen.code(), absl::StatusCode::kUnavailable);
  bus.Publish(ContainerEvent("c", EventType::kCreated));
  EventBus::Subscription later = bus.Subscribe();
  EXPECT_EQ(later.Next(Soon()).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(bus.subscriber_count(), 0u);
}

TEST(EventBusTest, NamesAreStable) {
  EXPECT_STREQ(EventTypeName(EventType::kStopped), "STOPPED");
  EXPECT_STREQ(EventKindName(EventKind::kSandbox), "sandbox");
}

}  // namespace
}  // namespace silo::runtime::events
