#include "cri/server/service.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/fake/fake_handler.h"

namespace silo::cri {
namespace {

class StubNetwork : public network::PodNetwork {
 public:
  absl::Status Ready() const override { return ready; }
  absl::Status ready;
};

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime::fake::RegisterFakeType(handlers_, "fake");
    ASSERT_TRUE(handlers_.Configure({{"", "fake", {}}, {"fast", "fake", {true, false}}}, "").ok());
  }
  ServiceOptions Options(const std::string& driver = "cgroupfs") {
    ServiceOptions o;
    o.runtime_version = "1.2.3";
    o.cgroup_driver = driver;
    o.config_json = R"({"root":"/r"})";
    o.build_json = R"({"commit":"abc"})";
    return o;
  }
  runtime::handler::HandlerRegistry handlers_;
  StubNetwork network_;
};

TEST_F(ServiceTest, VersionHasAllFourFields) {
  Service s(Options(), ServiceDeps{&handlers_, &network_});
  ::runtime::v1::VersionResponse r;
  ASSERT_TRUE(s.Version({}, &r).ok());
  EXPECT_EQ(r.version(), "0.1.0");
  EXPECT_EQ(r.runtime_name(), "silo");
  EXPECT_EQ(r.runtime_version(), "1.2.3");
  EXPECT_EQ(r.runtime_api_version(), "v1");
}

TEST_F(ServiceTest, StatusReportsConditionsWithReasons) {
  network_.ready = absl::NotFoundError("no network config found in /etc/cni/net.d");
  Service s(Options(), ServiceDeps{&handlers_, &network_});
  ::runtime::v1::StatusResponse r;
  ASSERT_TRUE(s.Status({}, &r).ok());
  ASSERT_EQ(r.status().conditions_size(), 2);
  const auto& rt = r.status().conditions(0);
  const auto& net = r.status().conditions(1);
  EXPECT_EQ(rt.type(), "RuntimeReady");
  EXPECT_TRUE(rt.status());
  EXPECT_TRUE(rt.reason().empty());
  EXPECT_EQ(net.type(), "NetworkReady");
  EXPECT_FALSE(net.status());
  EXPECT_EQ(net.reason(), "NetworkPluginNotReady");
  EXPECT_NE(net.message().find("/etc/cni/net.d"), std::string::npos);
  ASSERT_EQ(r.runtime_handlers_size(), 2);
  EXPECT_EQ(r.runtime_handlers(1).name(), "fast");
  EXPECT_TRUE(r.runtime_handlers(1).features().recursive_read_only_mounts());
  EXPECT_TRUE(r.info().empty());
}

TEST_F(ServiceTest, StatusRuntimeNotReadyAndVerboseInfo) {
  runtime::fake::FakeFor(handlers_, "").SetReady(absl::NotFoundError("OCI runtime \"runc\" not found in PATH"));
  Service s(Options(), ServiceDeps{&handlers_, &network_});
  ::runtime::v1::StatusRequest req;
  req.set_verbose(true);
  ::runtime::v1::StatusResponse r;
  ASSERT_TRUE(s.Status(req, &r).ok());
  EXPECT_FALSE(r.status().conditions(0).status());
  EXPECT_EQ(r.status().conditions(0).reason(), "RuntimeNotReady");
  EXPECT_EQ(r.status().conditions(0).message(), "runtime handler \"\": OCI runtime \"runc\" not found in PATH");
  EXPECT_EQ(r.info().at("config"), R"({"root":"/r"})");
  EXPECT_EQ(r.info().at("build"), R"({"commit":"abc"})");
  nlohmann::json handlers = nlohmann::json::parse(r.info().at("runtimeHandlers"));
  ASSERT_EQ(handlers.size(), 2u);
  EXPECT_EQ(handlers[0]["name"], "");
  EXPECT_EQ(handlers[0]["default"], true);
  EXPECT_EQ(handlers[0]["ready"], false);
  EXPECT_EQ(handlers[1]["name"], "fast");
  EXPECT_EQ(handlers[1]["type"], "fake");
  EXPECT_EQ(handlers[1]["ready"], true);
}

// Only the default handler decides RuntimeReady: pods naming no handler run there.
TEST_F(ServiceTest, AnotherHandlerNotReadyLeavesTheRuntimeReady) {
  runtime::fake::FakeFor(handlers_, "fast").SetReady(absl::UnavailableError("down"));
  Service s(Options(), ServiceDeps{&handlers_, &network_});
  ::runtime::v1::StatusResponse r;
  ASSERT_TRUE(s.Status({}, &r).ok());
  EXPECT_TRUE(r.status().conditions(0).status());
}

TEST_F(ServiceTest, RuntimeConfigCgroupDriver) {
  ::runtime::v1::RuntimeConfigResponse r;
  ASSERT_TRUE(Service(Options("cgroupfs"), ServiceDeps{&handlers_, &network_}).RuntimeConfig({}, &r).ok());
  EXPECT_TRUE(r.has_linux());
  EXPECT_EQ(r.linux().cgroup_driver(), ::runtime::v1::CGROUPFS);
  r.Clear();
  ASSERT_TRUE(Service(Options("systemd"), ServiceDeps{&handlers_, &network_}).RuntimeConfig({}, &r).ok());
  EXPECT_EQ(r.linux().cgroup_driver(), ::runtime::v1::SYSTEMD);
  r.Clear();
  ASSERT_TRUE(Service(Options(""), ServiceDeps{&handlers_, &network_}).RuntimeConfig({}, &r).ok());
  EXPECT_FALSE(r.has_linux());
}

TEST_F(ServiceTest, UpdateRuntimeConfigAcceptsPodCidrAndRejectsGarbage) {
  Service s(Options(), ServiceDeps{&handlers_, &network_});
  ::runtime::v1::UpdateRuntimeConfigRequest req;
  ::runtime::v1::UpdateRuntimeConfigResponse resp;
  req.mutable_runtime_config()->mutable_network_config()->set_pod_cidr("10.244.1.0/24,fd00:1::/64");
  ASSERT_TRUE(s.UpdateRuntimeConfig(req, &resp).ok());
  EXPECT_EQ(s.pod_cidr(), "10.244.1.0/24,fd00:1::/64");
  req.mutable_runtime_config()->mutable_network_config()->set_pod_cidr("10.0.0.0/33");
  EXPECT_EQ(s.UpdateRuntimeConfig(req, &resp).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.pod_cidr(), "10.244.1.0/24,fd00:1::/64");
  req.mutable_runtime_config()->mutable_network_config()->set_pod_cidr("");
  ASSERT_TRUE(s.UpdateRuntimeConfig(req, &resp).ok());
  EXPECT_EQ(s.pod_cidr(), "10.244.1.0/24,fd00:1::/64");
}

TEST_F(ServiceTest, UnimplementedRpcsSayWhich) {
  Service s(Options(), ServiceDeps{&handlers_, &network_});
  ::runtime::v1::RunPodSandboxResponse r;
  absl::Status st = s.RunPodSandbox({}, &r);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(st.message().find("RunPodSandbox"), std::string::npos);
  ::runtime::v1::PullImageResponse p;
  EXPECT_NE(s.PullImage({}, &p).message().find("PullImage"), std::string::npos);
}

}  // namespace
}  // namespace silo::cri
