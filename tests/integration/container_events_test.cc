// GetContainerEvents for containers through the real silod:
// CREATED, STARTED, STOPPED and DELETED reach the stream, each with the pod
// sandbox status and the statuses of the pod's containers as they are when
// the event is sent, as kubelet's Evented PLEG consumes them.
#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/container_pod.h"
#include "tests/support/event_stream.h"

namespace silo::testing {
namespace {

using Event = ::runtime::v1::ContainerEventResponse;

const ::runtime::v1::ContainerStatus* Find(const Event& e, const std::string& id) {
  for (const auto& c : e.containers_statuses()) {
    if (c.id() == id) return &c;
  }
  return nullptr;
}

class ContainerEventsTest : public ContainerPodTest {
 protected:
  // The server subscribes asynchronously: a probe container whose CREATED
  // arrives proves the stream is live.
  void WaitLive(EventStream& stream) {
    bool live = false;
    for (int attempt = 0; attempt < 10 && !live; ++attempt) {
      std::string probe;
      ASSERT_TRUE(Create(Config(absl::StrCat("probe-", attempt), {"/bin/busybox", "true"}), &probe).ok());
      live = !stream.WaitFor(probe, 1, std::chrono::seconds(2)).empty();
      ASSERT_TRUE(Remove(probe).ok());
    }
    ASSERT_TRUE(live) << "no event reached the stream";
  }
};

TEST_F(ContainerEventsTest, LifeCycleStreamsCreatedStartedStoppedDeletedWithStatuses) {
  EventStream stream(rt_.get());
  WaitLive(stream);

  // Each step waits for its event, so the statuses attached to it are the
  // state right after that step.
  std::string id;
  ASSERT_TRUE(Create(Config("evented", {"/bin/busybox", "sleep", "1000"}), &id).ok());
  ASSERT_EQ(stream.WaitFor(id, 1, std::chrono::seconds(30)).size(), 1u);
  ASSERT_TRUE(Start(id).ok());
  ASSERT_EQ(stream.WaitFor(id, 2, std::chrono::seconds(30)).size(), 2u);
  ASSERT_TRUE(Stop(id, 0).ok());
  ASSERT_EQ(stream.WaitFor(id, 3, std::chrono::seconds(30)).size(), 3u);
  ASSERT_TRUE(Remove(id).ok());
  std::vector<Event> events = stream.WaitFor(id, 4, std::chrono::seconds(30));
  ASSERT_EQ(events.size(), 4u) << "stream ended: "
                               << (stream.finished() ? stream.finished()->error_message() : "no");

  EXPECT_EQ(events[0].container_event_type(), ::runtime::v1::CONTAINER_CREATED_EVENT);
  EXPECT_EQ(events[1].container_event_type(), ::runtime::v1::CONTAINER_STARTED_EVENT);
  EXPECT_EQ(events[2].container_event_type(), ::runtime::v1::CONTAINER_STOPPED_EVENT);
  EXPECT_EQ(events[3].container_event_type(), ::runtime::v1::CONTAINER_DELETED_EVENT);
  for (size_t i = 0; i < events.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("event ", i));
    EXPECT_GT(events[i].created_at(), 0);
    if (i > 0) {
      EXPECT_LE(events[i - 1].created_at(), events[i].created_at());
    }
    // The pod outlives its container, so every event carries it.
    ASSERT_TRUE(events[i].has_pod_sandbox_status());
    EXPECT_EQ(events[i].pod_sandbox_status().id(), pod_id_);
    EXPECT_EQ(events[i].pod_sandbox_status().state(), ::runtime::v1::SANDBOX_READY);
    EXPECT_EQ(events[i].pod_sandbox_status().metadata().name(), pod_.metadata().name());
  }
  const ::runtime::v1::ContainerState expected[] = {::runtime::v1::CONTAINER_CREATED,
                                                    ::runtime::v1::CONTAINER_RUNNING,
                                                    ::runtime::v1::CONTAINER_EXITED};
  for (int i = 0; i < 3; ++i) {
    const ::runtime::v1::ContainerStatus* c = Find(events[i], id);
    ASSERT_NE(c, nullptr) << "event " << i << " lacks the container's status";
    EXPECT_EQ(c->state(), expected[i]) << "event " << i;
    EXPECT_EQ(c->metadata().name(), "evented");
  }
  EXPECT_GT(Find(events[1], id)->started_at(), 0);
  EXPECT_EQ(Find(events[2], id)->exit_code(), 128 + 9);
  EXPECT_GT(Find(events[2], id)->finished_at(), 0);
  EXPECT_EQ(Find(events[3], id), nullptr) << "a deleted container is still listed";
  EXPECT_FALSE(stream.finished().has_value());
}

// A container that exits on its own gets exactly one STOPPED, carrying its
// exit code, and a second container of the pod appears in the statuses.
TEST_F(ContainerEventsTest, OwnExitStreamsOneStoppedWithExitCodeAndSiblings) {
  EventStream stream(rt_.get());
  WaitLive(stream);
  std::string sibling, id;
  ASSERT_TRUE(Create(Config("sibling", {"/bin/busybox", "sleep", "1000"}), &sibling).ok());
  ASSERT_TRUE(Start(sibling).ok());
  ASSERT_TRUE(Create(Config("quitter", {"/bin/sh", "-c", "exit 4"}), &id).ok());
  ASSERT_TRUE(Start(id).ok());
  ASSERT_EQ(WaitState(id, ::runtime::v1::CONTAINER_EXITED).exit_code(), 4);
  std::vector<Event> events = stream.WaitFor(id, 3, std::chrono::seconds(30));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].container_event_type(), ::runtime::v1::CONTAINER_STOPPED_EVENT);
  const ::runtime::v1::ContainerStatus* c = Find(events[2], id);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->state(), ::runtime::v1::CONTAINER_EXITED);
  EXPECT_EQ(c->exit_code(), 4);
  EXPECT_EQ(c->reason(), "Error");
  const ::runtime::v1::ContainerStatus* s = Find(events[2], sibling);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->state(), ::runtime::v1::CONTAINER_RUNNING);

  // More status calls learn nothing new: still one STOPPED.
  EXPECT_EQ(Status(id).state(), ::runtime::v1::CONTAINER_EXITED);
  ASSERT_TRUE(Remove(id).ok());
  events = stream.WaitFor(id, 4, std::chrono::seconds(30));
  ASSERT_EQ(events.size(), 4u);
  int stopped = 0;
  for (const auto& e : events) stopped += e.container_event_type() == ::runtime::v1::CONTAINER_STOPPED_EVENT;
  EXPECT_EQ(stopped, 1);
  EXPECT_EQ(events[3].container_event_type(), ::runtime::v1::CONTAINER_DELETED_EVENT);
  ASSERT_TRUE(Stop(sibling, 0).ok());
}

// kubelet's Evented PLEG relies on STOPPED arriving by itself: nobody asks
// for the container's status here after StartContainer, and its exit (a
// second later) must still reach the stream promptly, with its exit code.
TEST_F(ContainerEventsTest, ExitReachesTheStreamWithoutAnyStatusCall) {
  EventStream stream(rt_.get());
  WaitLive(stream);
  std::string id;
  ASSERT_TRUE(Create(Config("lone-quitter", {"/bin/sh", "-c", "sleep 1; exit 6"}), &id).ok());
  ASSERT_TRUE(Start(id).ok());
  const auto started = std::chrono::steady_clock::now();
  std::vector<Event> events = stream.WaitFor(id, 3, std::chrono::seconds(15));
  ASSERT_EQ(events.size(), 3u) << "no STOPPED without polling";
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  EXPECT_EQ(events[2].container_event_type(), ::runtime::v1::CONTAINER_STOPPED_EVENT);
  const ::runtime::v1::ContainerStatus* c = Find(events[2], id);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->state(), ::runtime::v1::CONTAINER_EXITED);
  EXPECT_EQ(c->exit_code(), 6);
  EXPECT_EQ(c->reason(), "Error");
}

}  // namespace
}  // namespace silo::testing
