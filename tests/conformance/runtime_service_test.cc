// What kubelet polls and watches besides the configs: Version and Status
// (it waits for RuntimeReady and NetworkReady before running pods),
// ListContainerStats (the summary API), GetContainerEvents (the evented
// PLEG) and the streaming URLs of Exec, Attach and PortForward.
#include <thread>

#include "absl/strings/match.h"
#include "tests/conformance/conformance_fixture.h"
#include "tests/support/event_stream.h"

namespace silo::testing::conformance {
namespace {

class RuntimeServiceConformance : public ConformanceTest {
 protected:
  std::chrono::system_clock::time_point Deadline() {
    return std::chrono::system_clock::now() + std::chrono::seconds(30);
  }
};

TEST_F(RuntimeServiceConformance, VersionNamesTheRuntimeAndTheV1Api) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  ::runtime::v1::VersionRequest req;
  req.set_version("v1");
  ::runtime::v1::VersionResponse resp;
  ASSERT_TRUE(rt_->Version(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.runtime_api_version(), "v1");
  EXPECT_FALSE(resp.runtime_name().empty());
  EXPECT_FALSE(resp.runtime_version().empty());
}

TEST_F(RuntimeServiceConformance, StatusReportsRuntimeAndNetworkReady) {
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  ::runtime::v1::StatusResponse resp;
  ASSERT_TRUE(rt_->Status(&ctx, {}, &resp).ok());
  bool runtime_ready = false, network_ready = false;
  for (const auto& c : resp.status().conditions()) {
    if (c.type() == "RuntimeReady") runtime_ready = c.status();
    if (c.type() == "NetworkReady") network_ready = c.status();
  }
  EXPECT_TRUE(runtime_ready) << resp.DebugString();
  EXPECT_TRUE(network_ready) << resp.DebugString();
}

TEST_F(RuntimeServiceConformance, ContainerStatsReportCpuAndMemoryOfARunningContainer) {
  std::string id;
  ASSERT_TRUE(CreateRecorded(Config("c", Sleeper()), &id).ok());
  ASSERT_TRUE(Start(id).ok());
  // Stats come from a periodic sampler: poll until the first sample lands.
  ::runtime::v1::ListContainerStatsResponse resp;
  for (int i = 0; i < 200; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline());
    resp.Clear();
    ASSERT_TRUE(rt_->ListContainerStats(&ctx, {}, &resp).ok());
    if (resp.stats_size() == 1 && resp.stats(0).has_cpu() && resp.stats(0).memory().working_set_bytes().value() > 0) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(resp.stats_size(), 1);
  const auto& st = resp.stats(0);
  EXPECT_EQ(st.attributes().id(), id);
  EXPECT_EQ(st.attributes().metadata().name(), "c");
  EXPECT_TRUE(st.has_cpu());
  EXPECT_GT(st.memory().working_set_bytes().value(), 0u);
}

TEST_F(RuntimeServiceConformance, ContainerEventsFollowTheLifecycle) {
  EventStream events(rt_.get());
  std::string id;
  ASSERT_TRUE(CreateRecorded(Config("c", Sleeper()), &id).ok());
  ASSERT_TRUE(Start(id).ok());
  ASSERT_TRUE(Stop(id, 0).ok());
  ASSERT_TRUE(Remove(id).ok());
  auto got = events.WaitFor(id, 4, std::chrono::seconds(30));
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].container_event_type(), ::runtime::v1::CONTAINER_CREATED_EVENT);
  EXPECT_EQ(got[1].container_event_type(), ::runtime::v1::CONTAINER_STARTED_EVENT);
  EXPECT_EQ(got[2].container_event_type(), ::runtime::v1::CONTAINER_STOPPED_EVENT);
  EXPECT_EQ(got[3].container_event_type(), ::runtime::v1::CONTAINER_DELETED_EVENT);
  EXPECT_EQ(got[0].pod_sandbox_status().id(), pod_id_);
}

TEST_F(RuntimeServiceConformance, ExecAttachAndPortForwardReturnStreamingUrls) {
  ::runtime::v1::ContainerConfig c = Config("c", Sleeper());
  c.set_stdin(true);
  std::string id;
  ASSERT_TRUE(CreateRecorded(c, &id).ok());
  ASSERT_TRUE(Start(id).ok());
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline());
    ::runtime::v1::ExecRequest req;
    req.set_container_id(id);
    req.add_cmd("sh");
    req.set_stdout(true);
    ::runtime::v1::ExecResponse resp;
    grpc::Status s = rt_->Exec(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_TRUE(absl::StartsWith(resp.url(), "http")) << resp.url();
  }
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline());
    ::runtime::v1::AttachRequest req;
    req.set_container_id(id);
    req.set_stdin(true);
    req.set_stdout(true);
    ::runtime::v1::AttachResponse resp;
    grpc::Status s = rt_->Attach(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_TRUE(absl::StartsWith(resp.url(), "http")) << resp.url();
  }
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline());
    ::runtime::v1::PortForwardRequest req;
    req.set_pod_sandbox_id(pod_id_);
    req.add_port(8080);
    ::runtime::v1::PortForwardResponse resp;
    grpc::Status s = rt_->PortForward(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_TRUE(absl::StartsWith(resp.url(), "http")) << resp.url();
  }
  // An unknown container is NotFound, not a URL to nowhere.
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  ::runtime::v1::ExecRequest req;
  req.set_container_id("no-such-container");
  req.add_cmd("sh");
  req.set_stdout(true);
  ::runtime::v1::ExecResponse resp;
  EXPECT_EQ(rt_->Exec(&ctx, req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace silo::testing::conformance
