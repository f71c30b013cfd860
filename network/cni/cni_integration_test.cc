// ADD / CHECK / DEL with Debian's real plugins (bridge, host-local, portmap,
// loopback from /usr/lib/cni).
//
// Each test first moves itself into a private network namespace that plays
// the host: the bridge, its iptables rules (portmap) and net.ipv4.ip_forward
// (the bridge plugin turns it on) then never touch the machine's own network
// and parallel tests cannot see each other. The pod namespace is a throwaway
// `ip netns add silo-test-<hex>`. TearDown removes both, deletes the bridge
// and restores ip_forward even when the test failed.

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "network/cni/invoker.h"
#include "runtime/base/file_util.h"
#include "runtime/base/testing/shell.h"
#include "runtime/base/ids.h"

namespace silo::network::cni {
namespace {

using nlohmann::json;

constexpr char kPluginDir[] = "/usr/lib/cni";
constexpr char kIpForward[] = "/proc/sys/net/ipv4/ip_forward";

using silo::testing::CmdResult;
using silo::testing::Sh;

std::string PingCommand() {
  // Debian 12 without iputils-ping: busybox (a listed dependency) has one.
  return Sh("command -v ping").exit_code == 0 ? "ping" : "busybox ping";
}

class CniIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    if (::access((std::string(kPluginDir) + "/bridge").c_str(), X_OK) != 0) GTEST_SKIP() << "no CNI plugins";

    char tmpl[] = "/tmp/silo-cniint-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;

    host_ns_fd_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(host_ns_fd_, 0);
    ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << "unshare(CLONE_NEWNET): " << strerror(errno);
    in_private_ns_ = true;
    ASSERT_EQ(Sh("ip link set lo up").exit_code, 0);
    auto fwd = ReadFile(kIpForward);
    ASSERT_TRUE(fwd.ok()) << fwd.status();
    ip_forward_ = std::string(absl::StripAsciiWhitespace(*fwd));

    std::string hex = RandomHex(4);
    netns_name_ = "silo-test-" + hex;
    netns_path_ = "/run/netns/" + netns_name_;
    bridge_ = "silo" + hex.substr(0, 6);
    third_octet_ = std::uniform_int_distribution<int>(0, 255)(rng_);
    subnet_ = absl::StrCat("10.88.", third_octet_, ".0/24");
    CmdResult add = Sh("ip netns add " + netns_name_);
    ASSERT_EQ(add.exit_code, 0) << add.output;
    netns_added_ = true;

    net_ = *ParseNetworkConfig(dir_ + "/pods.conflist", json{
        {"cniVersion", "1.0.0"},
        {"name", "silotest"},
        {"plugins",
         {{{"type", "bridge"},
           {"bridge", bridge_},
           {"isGateway", true},
           {"ipMasq", false},
           {"ipam",
            {{"type", "host-local"},
             {"dataDir", dir_ + "/ipam"},
             {"ranges", {{{{"subnet", subnet_}}}}},
             {"routes", {{{"dst", "0.0.0.0/0"}}}}}}},
          {{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}}}}}.dump());
    rt_.container_id = RandomHex(16);
    rt_.netns = netns_path_;
    rt_.ifname = "eth0";
    rt_.capability_args = {
        {"portMappings", {{{"hostPort", 40000 + third_octet_}, {"containerPort", 80}, {"protocol", "tcp"}}}}};
    invoker_ = std::make_unique<Invoker>(InvokerOptions{{kPluginDir}, dir_ + "/cache", absl::Seconds(30)},
                                         NewPluginExec());
  }

  void TearDown() override {
    if (netns_added_) Sh("ip netns del " + netns_name_);
    if (in_private_ns_) {
      Sh("ip link del " + bridge_);
      if (!ip_forward_.empty()) (void)AtomicWriteFileNoRename(kIpForward, ip_forward_);
      EXPECT_EQ(::setns(host_ns_fd_, CLONE_NEWNET), 0) << strerror(errno);
    }
    if (host_ns_fd_ >= 0) ::close(host_ns_fd_);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // /proc/sys files cannot be replaced by rename; write in place.
  static bool AtomicWriteFileNoRename(const char* path, const std::string& value) {
    FILE* f = fopen(path, "w");
    if (f == nullptr) return false;
    bool ok = fputs(value.c_str(), f) >= 0;
    return fclose(f) == 0 && ok;
  }

  // Files host-local keeps per allocated address (it also keeps "lock" and
  // "last_reserved_ip.0").
  std::vector<std::string> Allocations() {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir_ + "/ipam/silotest", ec)) {
      std::string name = e.path().filename().string();
      if (name != "lock" && !absl::StartsWith(name, "last_reserved_ip")) out.push_back(name);
    }
    return out;
  }

  std::string NatRules() { return Sh("iptables-save -t nat").output; }

  std::mt19937 rng_{std::random_device{}()};
  std::string dir_;
  int host_ns_fd_ = -1;
  bool in_private_ns_ = false;
  bool netns_added_ = false;
  std::string ip_forward_;
  std::string netns_name_, netns_path_, bridge_, subnet_;
  int third_octet_ = 0;
  NetworkConfigList net_;
  RuntimeConf rt_;
  std::unique_ptr<Invoker> invoker_;
};

TEST_F(CniIntegrationTest, AddCheckDelWithBridgeHostLocalPortmap) {
  auto r = invoker_->Add(net_, rt_);
  ASSERT_TRUE(r.ok()) << r.status();
  std::optional<std::string> ip = PrimaryIPv4(*r);
  ASSERT_TRUE(ip.has_value()) << r->raw.dump();
  EXPECT_TRUE(absl::StartsWith(*ip, absl::StrCat("10.88.", third_octet_, "."))) << *ip;
  // The container interface is the one in our netns.
  bool found_sandbox = false;
  for (const auto& itf : r->interfaces) found_sandbox |= (itf.name == "eth0" && itf.sandbox == netns_path_);
  EXPECT_TRUE(found_sandbox) << r->raw.dump();

  CmdResult addr = Sh("ip -n " + netns_name_ + " addr show eth0");
  ASSERT_EQ(addr.exit_code, 0) << addr.output;
  EXPECT_NE(addr.output.find("inet " + *ip + "/24"), std::string::npos) << addr.output;

  CmdResult ping = Sh(PingCommand() + " -c1 -W2 " + *ip);
  EXPECT_EQ(ping.exit_code, 0) << ping.output;

  // portmap got its capability arg: its DNAT chain names the container.
  EXPECT_NE(NatRules().find(rt_.container_id), std::string::npos);
  EXPECT_EQ(Allocations(), std::vector<std::string>{*ip});

  // CHECK the bridge with the cached result. portmap is left out: its CHECK
  // in Debian 12's plugins (1.1.1) always looks for IPv6 rules and fails on
  // IPv4-only pods (containernetworking/plugins#819).
  NetworkConfigList bridge_only = net_;
  bridge_only.plugins.resize(1);
  absl::Status check = invoker_->Check(bridge_only, rt_);
  EXPECT_TRUE(check.ok()) << check;

  absl::Status del = invoker_->Del(net_, rt_);
  ASSERT_TRUE(del.ok()) << del;
  EXPECT_TRUE(Allocations().empty());
  EXPECT_EQ(NatRules().find(rt_.container_id), std::string::npos);
  EXPECT_NE(Sh("ip -n " + netns_name_ + " link show eth0").exit_code, 0);
  EXPECT_EQ(invoker_->CachedResult(net_.name, rt_).status().code(), absl::StatusCode::kNotFound);

  del = invoker_->Del(net_, rt_);
  EXPECT_TRUE(del.ok()) << del;
}

TEST_F(CniIntegrationTest, DelWithoutCacheAndWithoutNetnsReleasesTheAddress) {
  auto r = invoker_->Add(net_, rt_);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(Allocations().size(), 1u);
  // As after a daemon crash that lost its state and a pod whose netns is gone.
  std::filesystem::remove_all(dir_ + "/cache");
  ASSERT_EQ(Sh("ip netns del " + netns_name_).exit_code, 0);
  netns_added_ = false;

  absl::Status del = invoker_->Del(net_, rt_);
  ASSERT_TRUE(del.ok()) << del;
  EXPECT_TRUE(Allocations().empty());
  EXPECT_EQ(NatRules().find(rt_.container_id), std::string::npos);
  del = invoker_->Del(net_, rt_);
  EXPECT_TRUE(del.ok()) << del;
}

TEST_F(CniIntegrationTest, LoopbackComesUp) {
  auto lo = ParseNetworkConfig(dir_ + "/lo.conflist",
                               R"({"cniVersion":"1.0.0","name":"silolo","plugins":[{"type":"loopback"}]})");
  ASSERT_TRUE(lo.ok()) << lo.status();
  rt_.ifname = "lo";
  CmdResult before = Sh("ip -n " + netns_name_ + " link show lo");
  ASSERT_NE(before.output.find("state DOWN"), std::string::npos) << before.output;
  auto r = invoker_->Add(*lo, rt_);
  ASSERT_TRUE(r.ok()) << r.status();
  CmdResult link = Sh("ip -n " + netns_name_ + " addr show lo");
  EXPECT_NE(link.output.find("LOWER_UP"), std::string::npos) << link.output;
  EXPECT_NE(link.output.find("inet 127.0.0.1/8"), std::string::npos) << link.output;
  EXPECT_TRUE(invoker_->Del(*lo, rt_).ok());
}

TEST_F(CniIntegrationTest, PluginErrorsFromRealPlugins) {
  // The bridge plugin refuses an existing non-bridge link of the same name
  // (veth: this kernel has no dummy links). TearDown deletes it by name.
  CmdResult veth = Sh("ip link add " + bridge_ + " type veth peer name " + bridge_ + "p");
  ASSERT_EQ(veth.exit_code, 0) << veth.output;
  auto r = invoker_->Add(net_, rt_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("CNI plugin \"bridge\" ADD"), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find(absl::StrCat("\"", bridge_, "\" already exists but is not a bridge")),
            std::string::npos)
      << r.status();
  // Undo what the failed ADD left (host-local may have allocated).
  EXPECT_TRUE(invoker_->Del(net_, rt_).ok());
  EXPECT_TRUE(Allocations().empty());
}

}  // namespace
}  // namespace silo::network::cni
