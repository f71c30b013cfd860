// The Stop/RemovePodSandbox cascade racing CreateContainer and
// StartContainer, over in-memory handlers: a container must never outlive
// its pod, and no create may succeed once the pod's stop began.

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runtime/base/mutex.h"
#include "runtime/container/container_manager.h"
#include "runtime/fake/fake_runtime.h"

namespace silo::runtime::container {
namespace {

using fake::FakeRuntime;

constexpr int kRounds = 30;
constexpr int kCreators = 3;
constexpr int kCreatesPerCreator = 4;

// Every event published for `pod` so far, in publication order.
std::vector<events::Event> EventsOf(events::EventBus::Subscription& sub, const std::string& pod) {
  std::vector<events::Event> out;
  while (true) {
    absl::StatusOr<events::Event> e = sub.Next(std::chrono::steady_clock::now());
    if (!e.ok()) break;
    if (e->sandbox_id == pod) out.push_back(*e);
  }
  return out;
}

TEST(PodCascadeRaceTest, NoContainerOutlivesItsPodAndNoneIsCreatedAfterItsStopBegan) {
  auto started = FakeRuntime::Start({});
  ASSERT_TRUE(started.ok()) << started.status();
  FakeRuntime& rt = **started;
  fake::FakeContainerHost& host = rt.handler("").Containers();
  std::mt19937 random(18);

  for (int round = 0; round < kRounds; ++round) {
    events::EventBus::Subscription sub = rt.events().Subscribe();
    const std::string pod_name = absl::StrCat("web-", round);
    absl::StatusOr<std::string> pod = rt.sandboxes().Run(FakeRuntime::Pod(pod_name), "");
    ASSERT_TRUE(pod.ok()) << pod.status();

    silo::Notification go;
    std::vector<std::vector<std::string>> created(kCreators);
    std::vector<std::thread> threads;
    for (int t = 0; t < kCreators; ++t) {
      threads.emplace_back([&, t] {
        go.WaitForNotification();
        for (int i = 0; i < kCreatesPerCreator; ++i) {
          absl::StatusOr<std::string> id = rt.containers().Create(
              *pod, rt.Container(absl::StrCat("c-", t, "-", i)), FakeRuntime::Pod(pod_name));
          if (!id.ok()) continue;
          created[t].push_back(*id);
          // May lose to the cascade (NotFound, or no longer CREATED).
          (void)rt.containers().Start(*id);
        }
      });
    }
    const int delay_us = std::uniform_int_distribution<int>(0, 3000)(random);
    absl::Status stopped, removed;
    threads.emplace_back([&] {
      go.WaitForNotification();
      std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
      stopped = rt.containers().StopPod(*pod);
      removed = rt.containers().RemovePod(*pod);
    });
    go.Notify();
    for (std::thread& t : threads) t.join();
    ASSERT_TRUE(stopped.ok()) << stopped;
    ASSERT_TRUE(removed.ok()) << removed;

    SCOPED_TRACE(absl::StrCat("round ", round, ", stop after ", delay_us, " us"));
    EXPECT_FALSE(rt.sandboxes().Status(*pod).ok());
    for (const model::ContainerRecord& c : rt.container_store().List({})) {
      EXPECT_NE(c.sandbox_id, *pod) << "container " << c.id << " outlived its pod";
    }
    for (const std::vector<std::string>& ids : created) {
      for (const std::string& id : ids) EXPECT_FALSE(host.Has(id)) << "container " << id << " left on the host";
    }
    bool pod_stopping = false;
    for (const events::Event& e : EventsOf(sub, *pod)) {
      if (e.kind == events::EventKind::kSandbox && e.type != events::EventType::kCreated) pod_stopping = true;
      if (e.kind == events::EventKind::kContainer && e.type == events::EventType::kCreated) {
        EXPECT_FALSE(pod_stopping) << "container " << e.id << " created after its pod stopped";
      }
    }
  }
}

}  // namespace
}  // namespace silo::runtime::container
