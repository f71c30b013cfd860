// GetContainerEvents through the real silod: the sandbox life cycle reaches
// a stream as CREATED, STOPPED, DELETED with the pod's status attached, as
// kubelet's Evented PLEG consumes it. Host-network pods need no CNI.

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/event_stream.h"
#include "tests/support/silod_process.h"

namespace silo::testing {
namespace {

using Clock = std::chrono::system_clock;

::runtime::v1::PodSandboxConfig HostNetworkPod(const std::string& name) {
  ::runtime::v1::PodSandboxConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_metadata()->set_namespace_("default");
  c.mutable_metadata()->set_uid("uid-" + name);
  c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(::runtime::v1::NODE);
  c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(::runtime::v1::CONTAINER);
  return c;
}

class EventsIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    auto p = SilodProcess::Start({.dir = dir_.path()});
    ASSERT_TRUE(p.ok()) << p.status();
    silod_ = std::move(*p);
    rt_ = silod_->RuntimeStub();
  }

  grpc::Status Call(const std::function<grpc::Status(grpc::ClientContext*)>& fn) {
    grpc::ClientContext ctx;
    ctx.set_deadline(Clock::now() + std::chrono::seconds(60));
    return fn(&ctx);
  }

  absl::StatusOr<std::string> RunPod(const std::string& name) {
    ::runtime::v1::RunPodSandboxRequest req;
    *req.mutable_config() = HostNetworkPod(name);
    ::runtime::v1::RunPodSandboxResponse resp;
    grpc::Status s = Call([&](auto* c) { return rt_->RunPodSandbox(c, req, &resp); });
    if (!s.ok()) return absl::InternalError("RunPodSandbox " + name + ": " + s.error_message());
    return resp.pod_sandbox_id();
  }

  grpc::Status RemovePod(const std::string& id) {
    ::runtime::v1::RemovePodSandboxRequest req;
    req.set_pod_sandbox_id(id);
    ::runtime::v1::RemovePodSandboxResponse resp;
    return Call([&](auto* c) { return rt_->RemovePodSandbox(c, req, &resp); });
  }

  TempDir dir_;
  std::unique_ptr<SilodProcess> silod_;
  std::unique_ptr<::runtime::v1::RuntimeService::Stub> rt_;
};

TEST_F(EventsIntegrationTest, SandboxLifeCycleStreamsCreatedStoppedDeletedWithStatus) {
  EventStream stream(rt_.get());
  // The server subscribes asynchronously: a probe pod whose CREATED arrives
  // proves the stream is live before the pod under test starts.
  bool live = false;
  for (int attempt = 0; attempt < 10 && !live; ++attempt) {
    auto probe = RunPod("probe-" + std::to_string(attempt));
    ASSERT_TRUE(probe.ok()) << probe.status();
    live = !stream.WaitFor(*probe, 1, std::chrono::seconds(2)).empty();
    ASSERT_TRUE(RemovePod(*probe).ok());
  }
  ASSERT_TRUE(live) << "no event reached the stream";

  // Each step waits for its event, so the status attached to it (read when
  // the server sends the event) is the pod's state right after that step.
  auto id = RunPod("events-pod");
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_EQ(stream.WaitFor(*id, 1, std::chrono::seconds(30)).size(), 1u);
  ::runtime::v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(*id);
  ::runtime::v1::StopPodSandboxResponse stopped;
  ASSERT_TRUE(Call([&](auto* c) { return rt_->StopPodSandbox(c, stop, &stopped); }).ok());
  ASSERT_EQ(stream.WaitFor(*id, 2, std::chrono::seconds(30)).size(), 2u);
  ASSERT_TRUE(RemovePod(*id).ok());

  auto events = stream.WaitFor(*id, 3, std::chrono::seconds(30));
  ASSERT_EQ(events.size(), 3u) << "stream ended: " << (stream.finished() ? stream.finished()->error_message() : "no");
  EXPECT_EQ(events[0].container_event_type(), ::runtime::v1::CONTAINER_CREATED_EVENT);
  EXPECT_EQ(events[1].container_event_type(), ::runtime::v1::CONTAINER_STOPPED_EVENT);
  EXPECT_EQ(events[2].container_event_type(), ::runtime::v1::CONTAINER_DELETED_EVENT);
  EXPECT_GT(events[0].created_at(), 0);
  EXPECT_LE(events[0].created_at(), events[1].created_at());
  EXPECT_LE(events[1].created_at(), events[2].created_at());

  // The first two carry the pod as it was then.
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(events[i].has_pod_sandbox_status()) << i;
    EXPECT_EQ(events[i].pod_sandbox_status().id(), *id);
    EXPECT_EQ(events[i].pod_sandbox_status().metadata().name(), "events-pod");
    EXPECT_EQ(events[i].containers_statuses_size(), 0);
  }
  EXPECT_EQ(events[0].pod_sandbox_status().state(), ::runtime::v1::SANDBOX_READY);
  EXPECT_EQ(events[1].pod_sandbox_status().state(), ::runtime::v1::SANDBOX_NOTREADY);
  // Removed pods have no status left to report.
  EXPECT_FALSE(events[2].has_pod_sandbox_status());
  EXPECT_FALSE(stream.finished().has_value());
}

}  // namespace
}  // namespace silo::testing
