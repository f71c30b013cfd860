#include "network/netns/cni_pod_network.h"

#include <sys/stat.h>

#include <filesystem>

#include "gtest/gtest.h"
#include "runtime/base/file_util.h"

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


TEST(CniPodNetworkTest, DetachWithoutConfigOrCachedAddHasNothingToUndo) {
  char tmpl[] = "/tmp/silo-cnipod-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  CniPodNetwork net({"/usr/lib/cni"}, std::string(tmpl), std::string(tmpl) + "/cache");
  AttachRequest req;
  req.sandbox_id = "never-attached";
  req.netns = "/proc/self/ns/net";
  // A pod whose ADD failed for want of a config must still stop and remove.
  EXPECT_TRUE(net.Detach(req).ok());
  std::filesystem::remove_all(tmpl);
}

TEST(CniPodNetworkTest, DetachAfterTheConfigIsGoneUsesTheConfigOfTheAdd) {
  char tmpl[] = "/tmp/silo-cnipod-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  // A plugin that records each command it is run with.
  ASSERT_TRUE(MakeDirs(dir + "/bin").ok());
  ASSERT_TRUE(MakeDirs(dir + "/conf").ok());
  ASSERT_TRUE(AtomicWriteFile(dir + "/bin/recorder",
                              "#!/bin/sh\necho \"$CNI_COMMAND $CNI_CONTAINERID\" >> " + dir +
                                  "/calls\ncat >/dev/null\n"
                                  "[ \"$CNI_COMMAND\" = ADD ] && echo '{\"cniVersion\":\"1.0.0\",\"ips\":[]}'\n"
                                  "exit 0\n")
                  .ok());
  ASSERT_EQ(::chmod((dir + "/bin/recorder").c_str(), 0755), 0);
  ASSERT_TRUE(AtomicWriteFile(dir + "/conf/10-rec.conflist",
                              R"({"cniVersion":"1.0.0","name":"rec","plugins":[{"type":"recorder"}]})")
                  .ok());
  CniPodNetwork net({dir + "/bin"}, dir + "/conf", dir + "/cache");
  AttachRequest req;
  req.sandbox_id = "pod1";
  req.netns = "/proc/self/ns/net";
  ASSERT_TRUE(net.Attach(req).ok());
  std::filesystem::remove(dir + "/conf/10-rec.conflist");
  absl::Status detached = net.Detach(req);
  EXPECT_TRUE(detached.ok()) << detached;
  auto calls = ReadFile(dir + "/calls");
  ASSERT_TRUE(calls.ok());
  EXPECT_EQ(*calls, "ADD pod1\nDEL pod1\n");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace silo::network::netns
