#include "cri/daemon/windows/wire_windows_parts.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "image/layers/wcifs/fake_layer_api.h"
#include "network/hns/fake/fake_hcn.h"
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/handler/windows_handlers.h"
#include "runtime/windows/jobobject/fake/fake_job_api.h"
#include "runtime/windows/readiness/fake/fake_readiness_api.h"

namespace silo::cri {
namespace {

using ::testing::HasSubstr;
namespace rw = runtime::windows;

class WireWindowsPartsTest : public ::testing::Test {
 protected:
  WindowsHostApis Apis() {
    WindowsHostApis apis;
    apis.hcs = &hcs_.api();
    apis.hcn = &hcn_.api();
    apis.jobs = &jobs_.api();
    apis.layers = layers_.api();
    apis.readiness = &readiness_.api();
    apis.read_job = [](const std::string& job) -> absl::StatusOr<runtime::stats::GroupCounters> {
      return absl::NotFoundError(job);
    };
    return apis;
  }
  Config TheConfig() {
    Config c;
    c.root = "/nonexistent/root";
    c.state = "/nonexistent/state";
    c.sandbox.image = "mcr.example/pause:1";
    return c;
  }
  // The default handler of `apis`' parts.
  absl::StatusOr<runtime::handler::RuntimeHandler*> Handler(runtime::handler::HandlerRegistry& registry,
                                                            WindowsHostApis apis) {
    absl::StatusOr<PlatformParts> parts = WireWindowsParts(TheConfig(), std::move(apis));
    if (!parts.ok()) return parts.status();
    parts->register_handler_types(registry);
    absl::Status s = registry.Configure({{rw::kDefaultProcessHandlerName, rw::kProcessHandlerType, {}}},
                                        rw::kDefaultProcessHandlerName);
    if (!s.ok()) return s;
    return &registry.Default();
  }

  rw::fake::FakeHcs hcs_;
  network::hns::fake::FakeHcn hcn_;
  rw::jobobject::fake::FakeJobApi jobs_;
  image::layers::wcifs::FakeLayerApi layers_;
  rw::readiness::fake::FakeReadinessApi readiness_;
};

TEST_F(WireWindowsPartsTest, PodsWithAPauseAreReadyOnAHostWithTheContainersFeature) {
  readiness_.InstallContainersFeature();
  runtime::handler::HandlerRegistry registry;
  absl::StatusOr<runtime::handler::RuntimeHandler*> h = Handler(registry, Apis());
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_TRUE((*h)->Ready().ok()) << (*h)->Ready();
  EXPECT_THAT((*h)->Describe(), HasSubstr("a pause system from mcr.example/pause:1"));
}

TEST_F(WireWindowsPartsTest, NotReadyWithoutTheContainersFeatureNamingWhatIsMissing) {
  runtime::handler::HandlerRegistry registry;
  absl::StatusOr<runtime::handler::RuntimeHandler*> h = Handler(registry, Apis());
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ((*h)->Ready().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT((*h)->Ready().message(), HasSubstr("vmcompute"));
}

TEST_F(WireWindowsPartsTest, NotReadyWithoutTheLayerApiAndPodsAreRefusedWithTheSameReason) {
  readiness_.InstallContainersFeature();
  WindowsHostApis apis = Apis();
  apis.layers = nullptr;
  apis.layers_unavailable = absl::FailedPreconditionError("load vmcompute.dll (WCIFS layers): not found");
  runtime::handler::HandlerRegistry registry;
  absl::StatusOr<runtime::handler::RuntimeHandler*> h = Handler(registry, std::move(apis));
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_THAT((*h)->Ready().message(), HasSubstr("WCIFS layers"));
}

TEST_F(WireWindowsPartsTest, MissingTablesMakeTheHandlerUnavailableNamingThem) {
  readiness_.InstallContainersFeature();
  WindowsHostApis apis = Apis();
  apis.hcs = nullptr;
  apis.missing = {"load computecore.dll: The specified module could not be found."};
  runtime::handler::HandlerRegistry registry;
  absl::StatusOr<runtime::handler::RuntimeHandler*> h = Handler(registry, std::move(apis));
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_THAT((*h)->Ready().message(), HasSubstr("computecore.dll"));
  EXPECT_THAT((*h)->Sandboxes().CreatePodGroup("pod1").status().message(), HasSubstr("computecore.dll"));
}

TEST_F(WireWindowsPartsTest, RefusesToWireWithoutTheReadinessTable) {
  WindowsHostApis apis = Apis();
  apis.readiness = nullptr;
  EXPECT_EQ(WireWindowsParts(TheConfig(), std::move(apis)).status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace silo::cri
