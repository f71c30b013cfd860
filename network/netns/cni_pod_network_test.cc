#include "network/netns/cni_pod_network.h"

#include "gtest/gtest.h"

namespace silo::network::netns {
namespace {

std::string Arg(const cni::RuntimeConf& rt, const std::string& key) {
  for (const auto& [k, v] : rt.args) {
    if (k == key) return v;
  }
  return "<missing>";
}

TEST(CniPodNetworkTest, RuntimeConfCarriesPodIdentityPortsAndDns) {
  AttachRequest req;
  req.sandbox_id = "abc123";
  req.netns = "/run/silo/netns/abc123/net";
  req.pod_name = "web";
  req.pod_namespace = "prod";
  req.pod_uid = "u-1";
  req.port_mappings = {{"tcp", 80, 8080, ""}, {"udp", 53, 5353, "127.0.0.1"}, {"tcp", 9000, 0, ""}};
  req.dns = {{"10.96.0.10"}, {"svc.cluster.local"}, {"ndots:5"}};
  cni::RuntimeConf rt = CniPodNetwork::MakeRuntimeConf(req);
  EXPECT_EQ(rt.container_id, "abc123");
  EXPECT_EQ(rt.netns, req.netns);
  EXPECT_EQ(rt.ifname, "eth0");
  EXPECT_EQ(Arg(rt, "IgnoreUnknown"), "1");
  EXPECT_EQ(Arg(rt, "K8S_POD_NAME"), "web");
  EXPECT_EQ(Arg(rt, "K8S_POD_NAMESPACE"), "prod");
  EXPECT_EQ(Arg(rt, "K8S_POD_UID"), "u-1");
  EXPECT_EQ(Arg(rt, "K8S_POD_INFRA_CONTAINER_ID"), "abc123");
  // Ports without a host port are not mapped.
  EXPECT_EQ(rt.capability_args["portMappings"],
            nlohmann::json::parse(R"([{"hostPort":8080,"containerPort":80,"protocol":"tcp"},
                                      {"hostPort":5353,"containerPort":53,"protocol":"udp","hostIP":"127.0.0.1"}])"));
  EXPECT_EQ(rt.capability_args["dns"],
            nlohmann::json::parse(R"({"servers":["10.96.0.10"],"searches":["svc.cluster.local"],"options":["ndots:5"]})"));
}

TEST(CniPodNetworkTest, BandwidthBecomesTheBandwidthCapability) {
  AttachRequest req;
  req.sandbox_id = "x";
  req.bandwidth.ingress_bps = 10000000;
  cni::RuntimeConf rt = CniPodNetwork::MakeRuntimeConf(req);
  EXPECT_EQ(rt.capability_args["bandwidth"],
            nlohmann::json::parse(R"({"ingressRate":10000000,"ingressBurst":4294967295})"));
  req.bandwidth.egress_bps = 2000;
  rt = CniPodNetwork::MakeRuntimeConf(req);
  EXPECT_EQ(rt.capability_args["bandwidth"]["egressRate"], 2000);
  EXPECT_EQ(rt.capability_args["bandwidth"]["egressBurst"], 4294967295u);
}

TEST(CniPodNetworkTest, NoPortsOrDnsMeansNoCapabilityArgs) {
  AttachRequest req;
  req.sandbox_id = "x";
  cni::RuntimeConf rt = CniPodNetwork::MakeRuntimeConf(req);
  EXPECT_TRUE(rt.capability_args.empty());
}

TEST(CniPodNetworkTest, AttachWithoutConfigFailsNamingTheConfDir) {
  char tmpl[] = "/tmp/silo-cnipod-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  CniPodNetwork net({"/usr/lib/cni"}, std::string(tmpl), std::string(tmpl) + "/cache");
  AttachRequest req;
  req.sandbox_id = "x";
  auto a = net.Attach(req);
  EXPECT_EQ(a.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(a.status().message().find(tmpl), std::string::npos) << a.status();
  EXPECT_FALSE(net.Ready().ok());
  ::rmdir(tmpl);
}

}  // namespace
}  // namespace silo::network::netns
