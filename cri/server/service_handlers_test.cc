// The CRI handlers of Service over the portable core and in-memory runtime
// handlers (runtime/fake): request to response, without root.

#include <limits>
#include <memory>

#include "cri/server/service.h"
#include "gtest/gtest.h"
#include "runtime/fake/fake_runtime.h"

namespace silo::cri {
namespace {

namespace v1 = ::runtime::v1;
using runtime::fake::FakeRuntime;

class ServiceHandlersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FakeRuntime::Options o;
    o.handlers = {{"", "fake", {}}, {"other", "fake", {}}};
    auto rt = FakeRuntime::Start(o);
    ASSERT_TRUE(rt.ok()) << rt.status();
    rt_ = std::move(*rt);
    ServiceDeps deps;
    deps.handlers = &rt_->handlers();
    deps.network = &rt_->network();
    deps.sandboxes = &rt_->sandboxes();
    deps.images = &rt_->images();
    deps.containers = &rt_->containers();
    service_ = std::make_unique<Service>(ServiceOptions{}, deps);
  }

  std::string RunPod(const std::string& name, const std::string& handler = "") {
    v1::RunPodSandboxRequest req;
    *req.mutable_config() = FakeRuntime::Pod(name);
    req.set_runtime_handler(handler);
    v1::RunPodSandboxResponse resp;
    absl::Status s = service_->RunPodSandbox(req, &resp);
    EXPECT_TRUE(s.ok()) << s;
    return resp.pod_sandbox_id();
  }

  std::string CreateStarted(const std::string& pod, const std::string& pod_name, const std::string& name) {
    v1::CreateContainerRequest req;
    req.set_pod_sandbox_id(pod);
    *req.mutable_config() = rt_->Container(name);
    *req.mutable_sandbox_config() = FakeRuntime::Pod(pod_name);
    v1::CreateContainerResponse resp;
    absl::Status s = service_->CreateContainer(req, &resp);
    EXPECT_TRUE(s.ok()) << s;
    v1::StartContainerRequest start;
    start.set_container_id(resp.container_id());
    v1::StartContainerResponse started;
    s = service_->StartContainer(start, &started);
    EXPECT_TRUE(s.ok()) << s;
    return resp.container_id();
  }

  std::unique_ptr<FakeRuntime> rt_;
  std::unique_ptr<Service> service_;
};

TEST_F(ServiceHandlersTest, APodAndItsContainerGoThroughTheirLifeCycle) {
  const std::string pod = RunPod("web", "other");
  v1::PodSandboxStatusRequest ps;
  ps.set_pod_sandbox_id(pod);
  v1::PodSandboxStatusResponse pod_status;
  ASSERT_TRUE(service_->PodSandboxStatus(ps, &pod_status).ok());
  EXPECT_EQ(pod_status.status().state(), v1::SANDBOX_READY);
  EXPECT_EQ(pod_status.status().runtime_handler(), "other");
  EXPECT_EQ(rt_->sandboxes().Status(pod)->handler_type, "fake");
  EXPECT_EQ(pod_status.status().network().ip(), rt_->network().Attached().at(pod));

  const std::string ctr = CreateStarted(pod, "web", "app");
  v1::ContainerStatusRequest cs;
  cs.set_container_id(ctr);
  v1::ContainerStatusResponse status;
  ASSERT_TRUE(service_->ContainerStatus(cs, &status).ok());
  EXPECT_EQ(status.status().state(), v1::CONTAINER_RUNNING);
  EXPECT_EQ(status.status().metadata().name(), "app");
  EXPECT_EQ(status.status().image_ref().empty(), false);

  v1::ExecSyncRequest exec;
  exec.set_container_id(ctr);
  exec.add_cmd("hostname");
  v1::ExecSyncResponse out;
  ASSERT_TRUE(service_->ExecSync(exec, &out).ok());
  EXPECT_EQ(out.stdout(), "other ran: hostname\n");
  EXPECT_EQ(out.exit_code(), 0);

  v1::ListContainersRequest list;
  list.mutable_filter()->set_pod_sandbox_id(pod);
  v1::ListContainersResponse listed;
  ASSERT_TRUE(service_->ListContainers(list, &listed).ok());
  ASSERT_EQ(listed.containers_size(), 1);
  EXPECT_EQ(listed.containers(0).id(), ctr);

  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(pod);
  v1::StopPodSandboxResponse stopped;
  ASSERT_TRUE(service_->StopPodSandbox(stop, &stopped).ok());
  ASSERT_TRUE(service_->ContainerStatus(cs, &status).ok());
  EXPECT_EQ(status.status().state(), v1::CONTAINER_EXITED);
  v1::RemovePodSandboxRequest remove;
  remove.set_pod_sandbox_id(pod);
  v1::RemovePodSandboxResponse removed;
  ASSERT_TRUE(service_->RemovePodSandbox(remove, &removed).ok());
  EXPECT_EQ(service_->ContainerStatus(cs, &status).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(service_->PodSandboxStatus(ps, &pod_status).code(), absl::StatusCode::kNotFound);
  // Stop and Remove of a pod that is gone succeed, as the CRI requires.
  EXPECT_TRUE(service_->StopPodSandbox(stop, &stopped).ok());
  EXPECT_TRUE(service_->RemovePodSandbox(remove, &removed).ok());
}

// CRI timeouts are int64 seconds: the largest must not overflow into a
// deadline in the past (or a wrapped millisecond count).
TEST_F(ServiceHandlersTest, TheLargestExecAndStopTimeoutsDoNotOverflow) {
  const std::string pod = RunPod("web");
  const std::string ctr = CreateStarted(pod, "web", "app");
  v1::ExecSyncRequest exec;
  exec.set_container_id(ctr);
  exec.add_cmd("hostname");
  exec.set_timeout(std::numeric_limits<int64_t>::max());
  v1::ExecSyncResponse out;
  absl::Status s = service_->ExecSync(exec, &out);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(out.exit_code(), 0);
  v1::StopContainerRequest stop;
  stop.set_container_id(ctr);
  stop.set_timeout(std::numeric_limits<int64_t>::max());
  v1::StopContainerResponse stopped;
  s = service_->StopContainer(stop, &stopped);
  ASSERT_TRUE(s.ok()) << s;
  v1::ContainerStatusRequest cs;
  cs.set_container_id(ctr);
  v1::ContainerStatusResponse status;
  ASSERT_TRUE(service_->ContainerStatus(cs, &status).ok());
  EXPECT_EQ(status.status().state(), v1::CONTAINER_EXITED);
}

TEST_F(ServiceHandlersTest, BadRequestsGetClearErrors) {
  v1::RunPodSandboxRequest run;
  *run.mutable_config() = FakeRuntime::Pod("web");
  run.set_runtime_handler("kata");
  v1::RunPodSandboxResponse run_resp;
  absl::Status unknown = service_->RunPodSandbox(run, &run_resp);
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.message().find("\"kata\" is not configured (configured: \"\", \"other\")"), std::string::npos)
      << unknown;
  EXPECT_TRUE(rt_->sandboxes().List({}).empty());

  v1::CreateContainerRequest create;
  create.set_pod_sandbox_id("nope");
  *create.mutable_config() = rt_->Container("app");
  v1::CreateContainerResponse created;
  EXPECT_EQ(service_->CreateContainer(create, &created).code(), absl::StatusCode::kNotFound);

  v1::ExecSyncRequest exec;
  exec.set_container_id("nope");
  exec.add_cmd("ls");
  v1::ExecSyncResponse out;
  EXPECT_EQ(service_->ExecSync(exec, &out).code(), absl::StatusCode::kNotFound);

  v1::StartContainerRequest start;
  start.set_container_id("");
  v1::StartContainerResponse started;
  EXPECT_FALSE(service_->StartContainer(start, &started).ok());
}

}  // namespace
}  // namespace silo::cri
