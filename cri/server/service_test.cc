#include "cri/server/service.h"

#include "gtest/gtest.h"

namespace silo::cri {
namespace {

class StubBackend : public runtime::ComputeBackend {
 public:
  std::string Name() const override { return "stub"; }
  absl::Status Ready() const override { return ready; }
  absl::Status ready;
};

class StubNetwork : public network::PodNetwork {
 public:
  absl::Status Ready() const override { return ready; }
  absl::Status ready;
};

class ServiceTest : public ::testing::Test {
 protected:
  ServiceOptions Options(const std::string& driver = "cgroupfs") {
    ServiceOptions o;
    o.runtime_version = "1.2.3";
    o.cgroup_driver = driver;
    o.handlers = {{"", false, false}, {"fast", true, false}};
    o.config_json = R"({"root":"/r"})";
    o.build_json = R"({"commit":"abc"})";
    return o;
  }
  StubBackend backend_;
  StubNetwork network_;
};

TEST_F(ServiceTest, VersionHasAllFourFields) {
  Service s(Options(), ServiceDeps{&backend_, &network_});
  ::runtime::v1::VersionResponse r;
  ASSERT_TRUE(s.Version({}, &r).ok());
  EXPECT_EQ(r.version(), "0.1.0");
  EXPECT_EQ(r.runtime_name(), "silo");
  EXPECT_EQ(r.runtime_version(), "1.2.3");
  EXPECT_EQ(r.runtime_api_version(), "v1");
}

TEST_F(ServiceTest, StatusReportsConditionsWithReasons) {
  network_.ready = absl::NotFoundError("no network config found in /etc/cni/net.d");
  Service s(Options(), ServiceDeps{&backend_, &network_});
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
  backend_.ready = absl::NotFoundError("OCI runtime \"runc\" not found in PATH");
  Service s(Options(), ServiceDeps{&backend_, &network_});
  ::runtime::v1::StatusRequest req;
  req.set_verbose(true);
  ::runtime::v1::StatusResponse r;
  ASSERT_TRUE(s.Status(req, &r).ok());
  EXPECT_FALSE(r.status().conditions(0).status());
  EXPECT_EQ(r.status().conditions(0).reason(), "RuntimeNotReady");
  EXPECT_EQ(r.info().at("config"), R"({"root":"/r"})");
  EXPECT_EQ(r.info().at("build"), R"({"commit":"abc"})");
  EXPECT_EQ(r.info().at("backend"), "stub");
}

TEST_F(ServiceTest, RuntimeConfigCgroupDriver) {
  ::runtime::v1::RuntimeConfigResponse r;
  ASSERT_TRUE(Service(Options("cgroupfs"), ServiceDeps{&backend_, &network_}).RuntimeConfig({}, &r).ok());
  EXPECT_TRUE(r.has_linux());
  EXPECT_EQ(r.linux().cgroup_driver(), ::runtime::v1::CGROUPFS);
  r.Clear();
  ASSERT_TRUE(Service(Options("systemd"), ServiceDeps{&backend_, &network_}).RuntimeConfig({}, &r).ok());
  EXPECT_EQ(r.linux().cgroup_driver(), ::runtime::v1::SYSTEMD);
  r.Clear();
  ASSERT_TRUE(Service(Options(""), ServiceDeps{&backend_, &network_}).RuntimeConfig({}, &r).ok());
  EXPECT_FALSE(r.has_linux());
}

TEST_F(ServiceTest, UpdateRuntimeConfigAcceptsPodCidrAndRejectsGarbage) {
  Service s(Options(), ServiceDeps{&backend_, &network_});
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
  Service s(Options(), ServiceDeps{&backend_, &network_});
  ::runtime::v1::RunPodSandboxResponse r;
  absl::Status st = s.RunPodSandbox({}, &r);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(st.message().find("RunPodSandbox"), std::string::npos);
  ::runtime::v1::PullImageResponse p;
  EXPECT_NE(s.PullImage({}, &p).message().find("PullImage"), std::string::npos);
}

}  // namespace
}  // namespace silo::cri
