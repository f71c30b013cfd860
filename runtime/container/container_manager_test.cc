// ContainerManager over in-memory handlers (runtime/fake) and a real image
// manager: the portable life cycle, without root.

#include "runtime/container/container_manager.h"

#include <signal.h>

#include <chrono>
#include <thread>

#include "gtest/gtest.h"
#include "runtime/fake/fake_runtime.h"

namespace silo::runtime::container {
namespace {

using fake::FakeRuntime;
using model::ContainerState;

class ContainerManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto rt = FakeRuntime::Start({});
    ASSERT_TRUE(rt.ok()) << rt.status();
    rt_ = std::move(*rt);
    auto pod = rt_->sandboxes().Run(FakeRuntime::Pod("web"), "");
    ASSERT_TRUE(pod.ok()) << pod.status();
    pod_ = *pod;
  }

  std::string CreateOk(const std::string& name) {
    auto id = rt_->containers().Create(pod_, rt_->Container(name), FakeRuntime::Pod("web"));
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : "";
  }

  // Polls Status until `want` (exit watches fire on the host's thread).
  bool Eventually(const std::string& id, ContainerState want) {
    for (int i = 0; i < 200; ++i) {
      auto r = rt_->containers().Status(id);
      if (r.ok() && r->State() == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  fake::FakeContainerHost& host() { return rt_->handler("").Containers(); }

  std::unique_ptr<FakeRuntime> rt_;
  std::string pod_;
};

TEST_F(ContainerManagerTest, LifeCycleGoesThroughTheSandboxsHandlerAndIsRecorded) {
  const std::string id = CreateOk("app");
  auto created = rt_->containers().Status(id);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->State(), ContainerState::kCreated);
  EXPECT_EQ(created->runtime_handler, "");
  EXPECT_EQ(created->handler_type, "fake");
  EXPECT_EQ(created->host_handle, "://" + id);

  ASSERT_TRUE(rt_->containers().Start(id).ok());
  EXPECT_TRUE(host().Running(id));
  EXPECT_EQ(rt_->containers().Status(id)->State(), ContainerState::kRunning);
  ASSERT_TRUE(rt_->containers().Stop(id, std::chrono::seconds(5)).ok());
  auto stopped = rt_->containers().Status(id);
  EXPECT_EQ(stopped->State(), ContainerState::kExited);
  EXPECT_EQ(stopped->exit_code, 128 + SIGTERM);
  ASSERT_TRUE(rt_->containers().Remove(id).ok());
  EXPECT_FALSE(host().Has(id));
  EXPECT_EQ(rt_->containers().Status(id).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ContainerManagerTest, CreateNeedsAReadySandboxAndAPulledImage) {
  ::runtime::v1::ContainerConfig unpulled = rt_->Container("app");
  unpulled.mutable_image()->set_image("127.0.0.1:1/none:v1");
  auto missing = rt_->containers().Create(pod_, unpulled, FakeRuntime::Pod("web"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  // The name was released: the same container can be created now.
  CreateOk("app");

  ASSERT_TRUE(rt_->sandboxes().Stop(pod_).ok());
  auto late = rt_->containers().Create(pod_, rt_->Container("late"), FakeRuntime::Pod("web"));
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition) << late.status();
  EXPECT_NE(late.status().message().find("not READY"), std::string::npos) << late.status();
}

TEST_F(ContainerManagerTest, TheRootfsComesFromTheLayerStoreAndGoesBackToItOnRemove) {
  const std::string id = CreateOk("app");
  auto image = rt_->images().Status(rt_->image_ref());
  ASSERT_TRUE(image.ok() && image->has_value());
  EXPECT_TRUE(rt_->layers().Mounted(id));
  EXPECT_EQ(rt_->layers().ChainOf(id), (*image)->chain_ids);
  ASSERT_TRUE(rt_->containers().Remove(id).ok());
  EXPECT_FALSE(rt_->layers().Has(id));
}

TEST_F(ContainerManagerTest, ARootfsThatCannotBeMadeFailsCreateAndLeavesNothing) {
  rt_->layers().FailNextPrepare(absl::ResourceExhaustedError("no space for the writable layer"));
  auto failed = rt_->containers().Create(pod_, rt_->Container("app"), FakeRuntime::Pod("web"));
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kResourceExhausted) << failed.status();
  EXPECT_NE(failed.status().message().find("rootfs"), std::string::npos) << failed.status();
  EXPECT_TRUE(rt_->containers().List({}).empty());
  for (const std::string& call : host().Calls()) EXPECT_NE(call.rfind("Create", 0), 0u) << call;
  CreateOk("app");  // the name was released
}

TEST_F(ContainerManagerTest, ABadRequestAfterTheRootfsWasMadeRemovesIt) {
  ::runtime::v1::ContainerConfig config = rt_->Container("app");
  config.mutable_linux()->mutable_security_context()->set_run_as_username("no-such-user");
  auto failed = rt_->containers().Create(pod_, config, FakeRuntime::Pod("web"));
  EXPECT_FALSE(failed.ok());
  std::vector<std::string> calls = rt_->layers().Calls();
  ASSERT_EQ(calls.size(), 2u);
  const std::string id = calls[0].substr(std::string("Prepare ").size());
  EXPECT_EQ(calls[1], "Remove " + id);
  EXPECT_FALSE(rt_->layers().Has(id));
}

TEST_F(ContainerManagerTest, ADuplicateNameIsRefusedWhileTheFirstExists) {
  CreateOk("app");
  auto again = rt_->containers().Create(pod_, rt_->Container("app"), FakeRuntime::Pod("web"));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists) << again.status();
}

TEST_F(ContainerManagerTest, StopKillsAProcessThatIgnoresItsStopSignal) {
  const std::string id = CreateOk("stubborn");
  ASSERT_TRUE(rt_->containers().Start(id).ok());
  host().IgnoreSigterm(true);
  ASSERT_TRUE(rt_->containers().Stop(id, std::chrono::seconds(1)).ok());
  auto r = rt_->containers().Status(id);
  EXPECT_EQ(r->State(), ContainerState::kExited);
  EXPECT_EQ(r->exit_code, 128 + SIGKILL);
}

TEST_F(ContainerManagerTest, AnExitByItselfIsRecordedThroughTheExitWatch) {
  const std::string id = CreateOk("short");
  ASSERT_TRUE(rt_->containers().Start(id).ok());
  host().ExitNow(id, 3);
  ASSERT_TRUE(Eventually(id, ContainerState::kExited));
  auto r = rt_->containers().Status(id);
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->reason, "Error");
}

TEST_F(ContainerManagerTest, ExecSyncRunsInTheContainerOnlyWhileItRuns) {
  const std::string id = CreateOk("app");
  EXPECT_EQ(rt_->containers().ExecSync(id, {"ls"}, std::chrono::seconds(5)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(rt_->containers().Start(id).ok());
  auto out = rt_->containers().ExecSync(id, {"echo", "hi"}, std::chrono::seconds(5));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->stdout_data, " ran: echo hi\n");
  EXPECT_EQ(rt_->containers().ExecSync(id, {}, std::chrono::seconds(5)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ContainerManagerTest, ARestartKeepsRunningContainersAndRemovesWhatNoRecordOwns) {
  const std::string running = CreateOk("running");
  ASSERT_TRUE(rt_->containers().Start(running).ok());
  const std::string created = CreateOk("created");
  host().AddForeign(std::string(64, 'f'));

  ASSERT_TRUE(rt_->Restart().ok());
  EXPECT_EQ(rt_->containers().Status(running)->State(), ContainerState::kRunning);
  EXPECT_EQ(rt_->containers().Status(created)->State(), ContainerState::kCreated);
  EXPECT_FALSE(host().Has(std::string(64, 'f')));
  // The running container's exit still reaches the new manager.
  host().ExitNow(running, 0);
  ASSERT_TRUE(Eventually(running, ContainerState::kExited));
  EXPECT_EQ(rt_->containers().Status(running)->reason, "Completed");
}

TEST_F(ContainerManagerTest, StoppingAPodStopsItsContainersAndRemovingItRemovesThem) {
  const std::string running = CreateOk("running");
  ASSERT_TRUE(rt_->containers().Start(running).ok());
  const std::string created = CreateOk("created");
  ASSERT_TRUE(rt_->containers().StopPod(pod_.substr(0, 12)).ok());
  EXPECT_EQ(rt_->containers().Status(running)->State(), ContainerState::kExited);
  EXPECT_EQ(rt_->containers().Status(created)->State(), ContainerState::kExited);
  EXPECT_EQ(rt_->sandboxes().Status(pod_)->state, model::SandboxState::kNotReady);
  EXPECT_TRUE(rt_->network().Attached().empty());

  ASSERT_TRUE(rt_->containers().RemovePod(pod_).ok());
  EXPECT_TRUE(rt_->containers().List({}).empty());
  EXPECT_FALSE(host().Has(running));
  EXPECT_TRUE(rt_->sandboxes().List({}).empty());
  EXPECT_FALSE(rt_->handler("").Sandboxes().HasNamespaces(pod_));
  // Both are idempotent for a pod that is gone.
  EXPECT_TRUE(rt_->containers().StopPod(pod_).ok());
  EXPECT_TRUE(rt_->containers().RemovePod(pod_).ok());
}

}  // namespace
}  // namespace silo::runtime::container
