// Pods on different runtime handlers of one daemon core: each call reaches
// its pod's handler, records keep it across restarts and config changes, and
// a handler type defined in a test file alone runs pods.

#include <signal.h>

#include <chrono>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/fake/fake_runtime.h"
#include "runtime/handler/assembled_handler.h"

namespace silo::runtime::handler {
namespace {

using fake::FakeRuntime;
using model::ContainerState;
using ::testing::Contains;
using ::testing::Not;

FakeRuntime::Options TwoHandlers() {
  FakeRuntime::Options o;
  o.handlers = {{"alpha", "fake", {}}, {"beta", "other", {}}};
  o.default_handler = "alpha";
  return o;
}

class TwoHandlersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto rt = FakeRuntime::Start(TwoHandlers());
    ASSERT_TRUE(rt.ok()) << rt.status();
    rt_ = std::move(*rt);
  }

  // A pod on `handler` with one started container; returns {pod, container}.
  std::pair<std::string, std::string> RunPodWithContainer(const std::string& pod_name, const std::string& handler) {
    auto pod = rt_->sandboxes().Run(FakeRuntime::Pod(pod_name), handler);
    EXPECT_TRUE(pod.ok()) << pod.status();
    if (!pod.ok()) return {};
    auto id = rt_->containers().Create(*pod, rt_->Container("app"), FakeRuntime::Pod(pod_name));
    EXPECT_TRUE(id.ok()) << id.status();
    if (!id.ok()) return {};
    EXPECT_TRUE(rt_->containers().Start(*id).ok());
    return {*pod, *id};
  }

  std::unique_ptr<FakeRuntime> rt_;
};

TEST_F(TwoHandlersTest, EachCallReachesThePodsOwnHandler) {
  auto [pod_a, ctr_a] = RunPodWithContainer("a", "");  // the default: alpha
  auto [pod_b, ctr_b] = RunPodWithContainer("b", "beta");
  fake::FakeHandler& alpha = rt_->handler("alpha");
  fake::FakeHandler& beta = rt_->handler("beta");

  EXPECT_EQ(rt_->sandboxes().Status(pod_a)->runtime_handler, "alpha");
  EXPECT_EQ(rt_->sandboxes().Status(pod_b)->runtime_handler, "beta");
  EXPECT_EQ(rt_->sandboxes().Status(pod_b)->handler_type, "other");
  EXPECT_TRUE(alpha.Sandboxes().HasNamespaces(pod_a));
  EXPECT_FALSE(alpha.Sandboxes().HasNamespaces(pod_b));
  EXPECT_TRUE(beta.Sandboxes().HasNamespaces(pod_b));
  EXPECT_TRUE(alpha.Containers().Running(ctr_a));
  EXPECT_TRUE(beta.Containers().Running(ctr_b));
  EXPECT_FALSE(alpha.Containers().Has(ctr_b));
  EXPECT_EQ(rt_->containers().Status(ctr_b)->runtime_handler, "beta");

  auto out = rt_->containers().ExecSync(ctr_b, {"id"}, std::chrono::seconds(5));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->stdout_data, "beta ran: id\n");
  EXPECT_THAT(beta.Containers().Calls(), Contains("Exec " + ctr_b));
  EXPECT_THAT(alpha.Containers().Calls(), Not(Contains("Exec " + ctr_b)));

  ASSERT_TRUE(rt_->containers().Stop(ctr_b, std::chrono::seconds(5)).ok());
  EXPECT_THAT(beta.Containers().Calls(), Contains("Kill " + ctr_b + " " + std::to_string(SIGTERM)));
  EXPECT_TRUE(alpha.Containers().Running(ctr_a));
  ASSERT_TRUE(rt_->containers().Remove(ctr_b).ok());
  ASSERT_TRUE(rt_->sandboxes().Stop(pod_b).ok());
  ASSERT_TRUE(rt_->sandboxes().Remove(pod_b).ok());
  EXPECT_FALSE(beta.Sandboxes().HasNamespaces(pod_b));
  EXPECT_FALSE(beta.Sandboxes().HasPodGroup(pod_b));
  EXPECT_TRUE(alpha.Sandboxes().HasNamespaces(pod_a));
}

TEST_F(TwoHandlersTest, RecoveryAfterARestartKeepsEachRecordOnItsHandler) {
  auto [pod_a, ctr_a] = RunPodWithContainer("a", "alpha");
  auto [pod_b, ctr_b] = RunPodWithContainer("b", "beta");
  // Leaked objects on each handler's host, owned by no record.
  const std::string leak_a(64, 'a'), leak_b(64, 'b');
  rt_->handler("alpha").Containers().AddForeign(leak_a);
  ASSERT_TRUE(rt_->handler("beta").Sandboxes().CreateNamespaces(leak_b, {}).ok());

  ASSERT_TRUE(rt_->Restart().ok());
  EXPECT_EQ(rt_->containers().Status(ctr_a)->State(), ContainerState::kRunning);
  EXPECT_EQ(rt_->containers().Status(ctr_b)->State(), ContainerState::kRunning);
  EXPECT_FALSE(rt_->handler("alpha").Containers().Has(leak_a));
  EXPECT_FALSE(rt_->handler("beta").Sandboxes().HasNamespaces(leak_b));
  EXPECT_TRUE(rt_->handler("beta").Sandboxes().HasNamespaces(pod_b));
  // The exit watch of the restarted manager listens to the right host.
  rt_->handler("beta").Containers().ExitNow(ctr_b, 7);
  bool exited = false;
  for (int i = 0; i < 200 && !exited; ++i) {
    exited = rt_->containers().Status(ctr_b)->State() == ContainerState::kExited;
    if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(exited);
  EXPECT_EQ(rt_->containers().Status(ctr_b)->exit_code, 7);
  EXPECT_EQ(rt_->containers().Status(ctr_a)->State(), ContainerState::kRunning);
}

TEST_F(TwoHandlersTest, APodWhoseHandlerLeftTheConfigCanStillBeStoppedAndRemoved) {
  auto [pod_b, ctr_b] = RunPodWithContainer("b", "beta");
  FakeRuntime::Options alpha_only;
  alpha_only.handlers = {{"alpha", "fake", {}}};
  alpha_only.default_handler = "alpha";
  // "other" is still a type this silod builds, but no handler of it is configured.
  alpha_only.unconfigured_fake_types = {"other"};
  ASSERT_TRUE(rt_->Restart(alpha_only).ok());

  EXPECT_EQ(rt_->sandboxes().Run(FakeRuntime::Pod("new"), "beta").status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_EQ(rt_->sandboxes().List({}).size(), 1u);
  ASSERT_EQ(rt_->containers().List({}).size(), 1u);
  // The retired handler reaches beta's host objects, not empty ones.
  fake::FakeHandler& beta = rt_->handler("beta", "other");
  EXPECT_EQ(rt_->containers().Status(ctr_b)->State(), ContainerState::kRunning);
  ASSERT_TRUE(rt_->containers().Stop(ctr_b, std::chrono::seconds(5)).ok());
  EXPECT_THAT(beta.Containers().Calls(), Contains("Kill " + ctr_b + " " + std::to_string(SIGTERM)));
  EXPECT_EQ(rt_->containers().Status(ctr_b)->State(), ContainerState::kExited);
  EXPECT_EQ(rt_->containers().Status(ctr_b)->exit_code, 128 + SIGTERM);
  ASSERT_TRUE(rt_->containers().Remove(ctr_b).ok());
  EXPECT_FALSE(beta.Containers().Has(ctr_b));
  ASSERT_TRUE(rt_->sandboxes().Stop(pod_b).ok());
  ASSERT_TRUE(rt_->sandboxes().Remove(pod_b).ok());
  EXPECT_FALSE(beta.Sandboxes().HasNamespaces(pod_b));
  EXPECT_FALSE(beta.Sandboxes().HasPodGroup(pod_b));
  EXPECT_TRUE(rt_->sandboxes().List({}).empty());
}

// Records stored before handlers were recorded name only what was asked
// for; recovery pins them (and their containers) to the handler that asked
// resolves to, and the CRI keeps reporting what was asked.
TEST_F(TwoHandlersTest, RecordsWithoutAHandlerTypeArePinnedAtRecovery) {
  auto [pod, ctr] = RunPodWithContainer("old", "");
  ASSERT_TRUE(rt_->sandbox_store().Update(pod, [](model::SandboxRecord& r) {
    r.runtime_handler = "";
    r.handler_type = "";
    r.requested_handler = "";
    return absl::OkStatus();
  }).ok());
  ASSERT_TRUE(rt_->container_store().Update(ctr, [](model::ContainerRecord& r) {
    r.runtime_handler = "";
    r.handler_type = "";
    return absl::OkStatus();
  }).ok());
  ASSERT_TRUE(rt_->Restart().ok());
  auto sandbox = rt_->sandboxes().Status(pod);
  EXPECT_EQ(sandbox->runtime_handler, "alpha");
  EXPECT_EQ(sandbox->handler_type, "fake");
  EXPECT_EQ(sandbox->requested_handler, "");
  auto container = rt_->containers().Status(ctr);
  EXPECT_EQ(container->runtime_handler, "alpha");
  EXPECT_EQ(container->handler_type, "fake");
  EXPECT_EQ(container->State(), ContainerState::kRunning);
}

// A handler type is one registration: this one is defined here alone, from
// the fakes' parts, and pods run on it like on any other.
TEST(HandlerTypeTest, ATypeRegisteredFromATestFileRunsAPod) {
  fake::FakeSandboxHost* sandboxes = nullptr;
  fake::FakeContainerHost* containers = nullptr;
  FakeRuntime::Options o;
  o.handlers = {{"toy", "toy", {}}};
  o.default_handler = "toy";
  o.extra_types = [&](HandlerRegistry& registry) {
    registry.AddType({"toy", [&](const HandlerSpec& spec) -> absl::StatusOr<std::unique_ptr<RuntimeHandler>> {
                        HandlerParts parts;
                        auto s = std::make_unique<fake::FakeSandboxHost>("toy-" + spec.name);
                        auto c = std::make_unique<fake::FakeContainerHost>("toy-" + spec.name);
                        sandboxes = s.get();
                        containers = c.get();
                        parts.sandboxes = std::move(s);
                        parts.containers = std::move(c);
                        parts.streaming = std::make_unique<fake::FakeProcessStreaming>("toy");
                        parts.stats = std::make_unique<fake::FakeStatsSource>();
                        parts.description = "a toy";
                        return std::make_unique<AssembledHandler>(std::move(parts));
                      }});
  };
  auto rt = FakeRuntime::Start(o);
  ASSERT_TRUE(rt.ok()) << rt.status();
  auto pod = (*rt)->sandboxes().Run(FakeRuntime::Pod("p"), "");
  ASSERT_TRUE(pod.ok()) << pod.status();
  auto id = (*rt)->containers().Create(*pod, (*rt)->Container("c"), FakeRuntime::Pod("p"));
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE((*rt)->containers().Start(*id).ok());
  ASSERT_NE(sandboxes, nullptr);
  EXPECT_TRUE(sandboxes->HasNamespaces(*pod));
  EXPECT_TRUE(containers->Running(*id));
  EXPECT_EQ((*rt)->sandboxes().Status(*pod)->handler_type, "toy");
  EXPECT_EQ((*rt)->containers().Status(*id)->host_handle, "toy-toy://" + *id);
}

}  // namespace
}  // namespace silo::runtime::handler
