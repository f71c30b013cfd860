// The Windows pod network's life cycle on Linux: the fake computenetwork
// table stands in for HNS, and a shell-script CNI plugin records what a
// Windows plugin (win-bridge, Flannel) would receive.
#include "network/hns/hcn_pod_network.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "network/hns/errors.h"
#include "network/hns/fake/fake_hcn.h"
#include "network/hns/guid.h"
#include "nlohmann/json.hpp"

namespace silo::network::hns {
namespace {

namespace fs = std::filesystem;
using fake::FakeHcn;
using fake::FakeHcnCall;

constexpr char kPlugin[] = R"sh(#!/bin/sh
dir="$(dirname "$0")"
stdin="$(cat)"
echo "$CNI_COMMAND $CNI_CONTAINERID $CNI_NETNS $CNI_IFNAME $CNI_ARGS" >> "$dir/calls.log"
printf '%s' "$stdin" > "$dir/stdin_$CNI_COMMAND.json"
case "$CNI_COMMAND" in
  ADD)
    if [ -e "$dir/fail_add" ]; then
      echo '{"cniVersion":"1.0.0","code":11,"msg":"no addresses left in the pool"}'
      exit 1
    fi
    echo '{"cniVersion":"1.0.0","interfaces":[{"name":"eth0"}],"ips":[{"address":"10.244.1.5/24","interface":0}]}'
    ;;
  VERSION) echo '{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}' ;;
esac
)sh";

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class HcnPodNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/silo-hcnpod-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ / "bin");
    fs::create_directories(dir_ / "conf");
    {
      std::ofstream(dir_ / "bin" / "fake-win") << kPlugin;
    }
    ::chmod((dir_ / "bin" / "fake-win").c_str(), 0755);
    nlohmann::json conf = {
        {"cniVersion", "1.0.0"},
        {"name", "sdnbridge"},
        {"plugins", {{{"type", "fake-win"}, {"capabilities", {{"portMappings", true}, {"dns", true}}}}}}};
    std::ofstream(dir_ / "conf" / "10-sdnbridge.conflist") << conf.dump();
    HcnPodNetworkOptions o;
    o.bin_dirs = {(dir_ / "bin").string()};
    o.conf_dir = (dir_ / "conf").string();
    o.cache_dir = (dir_ / "cache").string();
    net_ = std::make_unique<HcnPodNetwork>(&fake_.api(), o, cni::NewPluginExec());
    network_id_ = fake_.AddNetwork("sdnbridge", "L2Bridge");
  }
  void TearDown() override { fs::remove_all(dir_); }

  AttachRequest Request(const std::string& ns) {
    AttachRequest r;
    r.sandbox_id = "sbx-1";
    r.netns = ns;
    r.pod_name = "web";
    r.pod_namespace = "prod";
    r.pod_uid = "uid-1";
    r.port_mappings = {{"tcp", 80, 8080, ""}};
    r.dns = {{"10.96.0.10"}, {"prod.svc.cluster.local"}, {"ndots:5"}};
    return r;
  }
  std::string Calls() { return Slurp(dir_ / "bin" / "calls.log"); }

  fs::path dir_;
  FakeHcn fake_;
  std::string network_id_;
  std::unique_ptr<HcnPodNetwork> net_;
};

TEST_F(HcnPodNetworkTest, CreateAttachDetachRemove) {
  ASSERT_TRUE(net_->Ready().ok()) << net_->Ready();
  absl::StatusOr<std::string> ns = net_->CreateNamespace("sbx-1");
  ASSERT_TRUE(ns.ok()) << ns.status();
  EXPECT_TRUE(fake_.NamespaceExists(*ns));
  EXPECT_TRUE(net_->NamespaceExists(*ns));

  absl::StatusOr<Attachment> a = net_->Attach(Request(*ns));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->ip, "10.244.1.5");
  EXPECT_NE(Calls().find("ADD sbx-1 " + *ns + " eth0 IgnoreUnknown=1;K8S_POD_NAMESPACE=prod;K8S_POD_NAME=web"),
            std::string::npos)
      << Calls();
  nlohmann::json add = nlohmann::json::parse(Slurp(dir_ / "bin" / "stdin_ADD.json"));
  EXPECT_EQ(add["runtimeConfig"]["dns"]["servers"][0], "10.96.0.10");
  EXPECT_EQ(add["runtimeConfig"]["dns"]["searches"][0], "prod.svc.cluster.local");
  EXPECT_EQ(add["runtimeConfig"]["portMappings"][0]["hostPort"], 8080);

  // The plugin made an endpoint in the namespace, as win-bridge does.
  std::string ep = fake_.AddEndpoint(network_id_, "sbx-1_sdnbridge", "10.244.1.5", 24, *ns);
  ASSERT_TRUE(net_->Detach(Request(*ns)).ok());
  EXPECT_NE(Calls().find("DEL sbx-1 " + *ns), std::string::npos) << Calls();
  nlohmann::json del = nlohmann::json::parse(Slurp(dir_ / "bin" / "stdin_DEL.json"));
  EXPECT_EQ(del["prevResult"]["ips"][0]["address"], "10.244.1.5/24") << "DEL gets the cached ADD result";

  // Our fake plugin does not delete its endpoint: RemoveNamespace must.
  ASSERT_TRUE(net_->RemoveNamespace(*ns).ok());
  EXPECT_FALSE(fake_.NamespaceExists(*ns));
  EXPECT_FALSE(fake_.EndpointExists(ep));
  EXPECT_EQ(net_->removed_endpoints(), 1);
  // Everything is idempotent.
  EXPECT_TRUE(net_->RemoveNamespace(*ns).ok());
  EXPECT_TRUE(net_->Detach(Request(*ns)).ok());
  EXPECT_EQ(fake_.open_handles(), 0);
}

TEST_F(HcnPodNetworkTest, AttachNeedsANamespaceGuid) {
  absl::Status s = net_->Attach(Request("/var/run/netns/x")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("/var/run/netns/x"), std::string::npos) << s;
  EXPECT_EQ(Calls(), "") << "no plugin ran";
}

TEST_F(HcnPodNetworkTest, FailedAddIsFollowedByDel) {
  absl::StatusOr<std::string> ns = net_->CreateNamespace("sbx-1");
  ASSERT_TRUE(ns.ok());
  std::ofstream(dir_ / "bin" / "fail_add") << "";
  absl::Status s = net_->Attach(Request(*ns)).status();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("CNI ADD for sandbox sbx-1"), std::string::npos) << s;
  EXPECT_NE(s.message().find("no addresses left"), std::string::npos) << s;
  const std::string calls = Calls();
  EXPECT_LT(calls.find("ADD sbx-1"), calls.find("DEL sbx-1")) << calls;
  ASSERT_TRUE(net_->RemoveNamespace(*ns).ok());
}

TEST_F(HcnPodNetworkTest, HcnErrorsBecomeStatusesNamingTheCall) {
  fake_.Inject({FakeHcnCall::kCreateNamespace, errors::kEAccessDenied});
  absl::Status s = net_->CreateNamespace("sbx-9").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_NE(s.message().find("HcnCreateNamespace"), std::string::npos) << s;
  EXPECT_NE(s.message().find("sbx-9"), std::string::npos) << s;
  fake_.Inject({FakeHcnCall::kDeleteNamespace, errors::kEFail});
  absl::StatusOr<std::string> ns = net_->CreateNamespace("sbx-9");
  ASSERT_TRUE(ns.ok());
  EXPECT_FALSE(net_->RemoveNamespace(*ns).ok());
  EXPECT_TRUE(net_->RemoveNamespace(*ns).ok()) << "a retry succeeds";
}

TEST_F(HcnPodNetworkTest, ReconcileRemovesWhatNoSandboxOwns) {
  absl::StatusOr<std::string> live = net_->CreateNamespace("live");
  absl::StatusOr<std::string> leaked = net_->CreateNamespace("gone");
  ASSERT_TRUE(live.ok() && leaked.ok());
  std::string live_ep = fake_.AddEndpoint(network_id_, "live_ep", "10.244.1.6", 24, *live);
  std::string leaked_ep = fake_.AddEndpoint(network_id_, "gone_ep", "10.244.1.7", 24, *leaked);
  // Someone else's namespace on the node: not ours to delete.
  std::string foreign = fake_.AddNamespace("Host");

  absl::StatusOr<ReconcileReport> r = net_->Reconcile({*live}, std::set<std::string>{*live, *leaked});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->removed_namespaces, std::vector<std::string>{*leaked});
  EXPECT_EQ(r->removed_endpoints, std::vector<std::string>{leaked_ep});
  EXPECT_TRUE(fake_.NamespaceExists(*live));
  EXPECT_TRUE(fake_.EndpointExists(live_ep));
  EXPECT_TRUE(fake_.NamespaceExists(foreign));
  EXPECT_FALSE(fake_.NamespaceExists(*leaked));
  EXPECT_EQ(net_->removed_namespaces(), 1);
  // A second pass finds nothing more.
  r = net_->Reconcile({*live}, std::set<std::string>{*live, *leaked});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->removed_namespaces.empty());
}

TEST_F(HcnPodNetworkTest, NamespaceGuidFollowsFromTheSandboxAndARetryTakesItOver) {
  absl::StatusOr<std::string> ns = net_->CreateNamespace("sbx-retry");
  ASSERT_TRUE(ns.ok()) << ns.status();
  EXPECT_EQ(*ns, FormatGuid(SiloNamespaceGuid("sbx-retry")));
  // silod died after the create call, before recording it: the retried
  // RunPodSandbox finds the same namespace instead of failing or leaking one.
  absl::StatusOr<std::string> again = net_->CreateNamespace("sbx-retry");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *ns);
  EXPECT_TRUE(net_->RemoveNamespace(*ns).ok());
  EXPECT_FALSE(fake_.NamespaceExists(*ns));
}

TEST_F(HcnPodNetworkTest, ReconcileLeavesOtherRuntimesAlone) {
  absl::StatusOr<std::string> leaked = net_->CreateNamespace("gone");
  ASSERT_TRUE(leaked.ok());
  const std::string foreign_host = fake_.AddNamespace("Host");
  const std::string foreign_default_type = fake_.AddNamespace("");
  const std::string foreign_ep = fake_.AddEndpoint(network_id_, "ctrd_ep", "10.244.1.8", 24, foreign_host);
  // No records at all (a fresh silod on a node that already runs containerd).
  absl::StatusOr<ReconcileReport> r = net_->Reconcile({}, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->removed_namespaces, std::vector<std::string>{*leaked});
  EXPECT_TRUE(fake_.NamespaceExists(foreign_host));
  EXPECT_TRUE(fake_.NamespaceExists(foreign_default_type));
  EXPECT_TRUE(fake_.EndpointExists(foreign_ep));
}

TEST_F(HcnPodNetworkTest, NotReadyWithoutAConfig) {
  fs::remove(dir_ / "conf" / "10-sdnbridge.conflist");
  EXPECT_FALSE(net_->Ready().ok());
  absl::StatusOr<std::string> ns = net_->CreateNamespace("x");
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ(net_->Attach(Request(*ns)).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(net_->Detach(Request(*ns)).ok());
}

}  // namespace
}  // namespace silo::network::hns
