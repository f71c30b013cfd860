#include "runtime/windows/process_handler.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/container/container_host.h"
#include "runtime/sandbox/sandbox_host.h"
#include "runtime/streaming/process_streaming.h"

namespace silo::runtime::windows {
namespace {

using ::testing::HasSubstr;

// Options of a host without the Containers feature.
ProcessHandlerOptions WithoutComputeCore() {
  ProcessHandlerOptions options;
  options.hcs_unavailable = absl::FailedPreconditionError("computecore.dll not found");
  return options;
}

handler::RuntimeHandler& Configure(handler::HandlerRegistry& registry, ProcessHandlerOptions options) {
  RegisterProcessType(registry, std::move(options));
  EXPECT_TRUE(registry.Configure({{"runhcs-wcow-process", "process", {}}}, "runhcs-wcow-process").ok());
  return registry.Default();
}

TEST(ProcessHandlerTest, PodsAreRefusedNamingTheMissingSandboxHost) {
  handler::HandlerRegistry registry;
  handler::RuntimeHandler& h = Configure(registry, WithoutComputeCore());

  absl::StatusOr<std::string> ns = h.Sandboxes().CreateNamespaces("pod1", {});
  EXPECT_EQ(ns.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(ns.status().message(), HasSubstr("pod sandbox host"));
  absl::StatusOr<std::string> group = h.Sandboxes().CreatePodGroup("pod1");
  EXPECT_EQ(group.status().code(), absl::StatusCode::kFailedPrecondition);
  // Nothing was created, so nothing is listed and removal has nothing to do.
  EXPECT_TRUE(h.Sandboxes().ListNamespaces()->empty());
  EXPECT_TRUE(h.Sandboxes().RemoveNamespaces("pod1").ok());
}

TEST(ProcessHandlerTest, ReadinessReportsTheHostProbeFirstThenWhatIsMissing) {
  handler::HandlerRegistry r1;
  ProcessHandlerOptions probe_fails = WithoutComputeCore();
  probe_fails.host_ready = [] { return absl::FailedPreconditionError("vmcompute service is not installed"); };
  EXPECT_THAT(Configure(r1, probe_fails).Ready().message(), HasSubstr("vmcompute"));

  handler::HandlerRegistry r2;
  ProcessHandlerOptions no_hcs = WithoutComputeCore();
  no_hcs.host_ready = [] { return absl::OkStatus(); };
  EXPECT_THAT(Configure(r2, no_hcs).Ready().message(), HasSubstr("computecore.dll"));
}

TEST(ProcessHandlerTest, WithoutComputeCoreEveryContainerCallSaysWhy) {
  handler::HandlerRegistry registry;
  handler::RuntimeHandler& h = Configure(registry, WithoutComputeCore());
  container::CreateSpec spec;
  EXPECT_THAT(h.Containers().Create(spec).status().message(), HasSubstr("computecore.dll"));
  EXPECT_THAT(h.Containers().Start("c", "").message(), HasSubstr("computecore.dll"));
  EXPECT_THAT(h.Containers().Remove("c", "").message(), HasSubstr("computecore.dll"));
}

TEST(ProcessHandlerTest, StreamingIsUnimplemented) {
  handler::HandlerRegistry registry;
  handler::RuntimeHandler& h = Configure(registry, WithoutComputeCore());
  model::ContainerRecord container;
  EXPECT_EQ(h.Streaming().Exec(container, {"cmd"}, {}).status().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace silo::runtime::windows
