#include "runtime/windows/handler/windows_handlers.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/windows/stats/windows_stats_source.h"

namespace silo::runtime::windows {
namespace {

using ::testing::HasSubstr;

// The parts on a host without the Containers feature: no API table loaded.
WindowsHandlerParts WithoutContainersFeature() {
  WindowsHandlerParts parts;
  parts.unavailable = absl::FailedPreconditionError("load computecore.dll: not found");
  parts.make_stats = [] {
    WindowsStatsSourceOptions options;
    options.read_job = [](const std::string& job) -> absl::StatusOr<stats::GroupCounters> {
      return absl::NotFoundError(job);
    };
    return std::make_unique<WindowsStatsSource>(std::move(options));
  };
  return parts;
}

absl::StatusOr<handler::RuntimeHandler*> Configure(handler::HandlerRegistry& registry,
                                                   const WindowsHandlerParts& parts) {
  RegisterWindowsHandlerTypes(registry, parts);
  absl::Status s = registry.Configure({{kDefaultProcessHandlerName, kProcessHandlerType, {}}}, kDefaultProcessHandlerName);
  if (!s.ok()) return s;
  return &registry.Default();
}

TEST(WindowsHandlersTest, WithoutTheApiTablesTheHandlerStartsAndRefusesPodsSayingWhy) {
  handler::HandlerRegistry registry;
  absl::StatusOr<handler::RuntimeHandler*> h = Configure(registry, WithoutContainersFeature());
  ASSERT_TRUE(h.ok()) << h.status();
  absl::StatusOr<std::string> ns = (*h)->Sandboxes().CreateNamespaces("pod1", {});
  EXPECT_EQ(ns.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(ns.status().message(), HasSubstr("computecore.dll"));
  EXPECT_THAT((*h)->Sandboxes().CreatePodGroup("pod1").status().message(), HasSubstr("computecore.dll"));
  // Nothing was created: nothing is listed and removal has nothing to do.
  EXPECT_TRUE((*h)->Sandboxes().ListNamespaces()->empty());
  EXPECT_TRUE((*h)->Sandboxes().ListPodGroups()->empty());
  EXPECT_TRUE((*h)->Sandboxes().RemoveNamespaces("pod1").ok());
  container::CreateSpec spec;
  EXPECT_THAT((*h)->Containers().Create(spec).status().message(), HasSubstr("computecore.dll"));
  EXPECT_THAT((*h)->Containers().Start("c", "").message(), HasSubstr("computecore.dll"));
  EXPECT_EQ((*h)->Streaming().Exec({}, {}, {}).status().code(), absl::StatusCode::kUnimplemented);
}

TEST(WindowsHandlersTest, ReadinessNamesTheHostProbeFirstThenTheMissingTables) {
  handler::HandlerRegistry r1;
  WindowsHandlerParts probe_fails = WithoutContainersFeature();
  probe_fails.ready = [] { return absl::FailedPreconditionError("service vmcompute is not installed"); };
  absl::StatusOr<handler::RuntimeHandler*> h1 = Configure(r1, probe_fails);
  ASSERT_TRUE(h1.ok()) << h1.status();
  EXPECT_THAT((*h1)->Ready().message(), HasSubstr("vmcompute"));

  handler::HandlerRegistry r2;
  WindowsHandlerParts probe_ok = WithoutContainersFeature();
  probe_ok.ready = [] { return absl::OkStatus(); };
  absl::StatusOr<handler::RuntimeHandler*> h2 = Configure(r2, probe_ok);
  ASSERT_TRUE(h2.ok()) << h2.status();
  EXPECT_EQ((*h2)->Ready().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT((*h2)->Ready().message(), HasSubstr("computecore.dll"));
  EXPECT_THAT((*h2)->Describe(), HasSubstr("unavailable"));
}

TEST(WindowsHandlersTest, UnavailableHandlerStillNeedsAStatsSource) {
  handler::HandlerRegistry registry;
  WindowsHandlerParts parts = WithoutContainersFeature();
  parts.make_stats = nullptr;
  absl::StatusOr<handler::RuntimeHandler*> h = Configure(registry, parts);
  EXPECT_EQ(h.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(h.status().message(), HasSubstr("stats source"));
}

}  // namespace
}  // namespace silo::runtime::windows
