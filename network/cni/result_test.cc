#include "network/cni/result.h"

#include "gtest/gtest.h"

namespace silo::network::cni {
namespace {

// What Debian's bridge + host-local print for a dual-stack ADD (1.0.0).
constexpr char kBridge100[] = R"({
  "cniVersion": "1.0.0",
  "interfaces": [
    {"name": "cni0", "mac": "b2:47:32:cc:df:c7"},
    {"name": "veth7fb0dcc4", "mac": "4e:2c:0e:db:a2:8a"},
    {"name": "eth0", "mac": "9e:3e:fb:37:7a:9b", "sandbox": "/run/netns/pod1", "mtu": 1450}
  ],
  "ips": [
    {"interface": 2, "address": "10.88.77.2/24", "gateway": "10.88.77.1"},
    {"interface": 2, "address": "fd00:10:88::2/64", "gateway": "fd00:10:88::1"}
  ],
  "routes": [{"dst": "0.0.0.0/0", "gw": "10.88.77.1"}, {"dst": "::/0"}],
  "dns": {"nameservers": ["10.96.0.10"], "domain": "cluster.local", "search": ["svc.cluster.local"],
          "options": ["ndots:5"]}
})";

// 0.4.0 shape: "version" in each IP.
constexpr char kPtp040[] = R"({
  "cniVersion": "0.4.0",
  "interfaces": [{"name": "veth0", "mac": "aa:bb:cc:dd:ee:ff"},
                 {"name": "eth0", "sandbox": "/run/netns/p"}],
  "ips": [{"version": "4", "interface": 1, "address": "10.1.2.3/16"}],
  "dns": {}
})";

// An IPAM-only result (host-local alone): no interfaces.
constexpr char kHostLocal031[] = R"({
  "cniVersion": "0.3.1",
  "ips": [{"version": "6", "address": "fd00::5/64"}, {"version": "4", "address": "10.9.0.5/24", "gateway": "10.9.0.1"}]
})";

TEST(ResultTest, ParsesBridgeResult) {
  auto r = ParseResult(std::string(kBridge100));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->cni_version, "1.0.0");
  ASSERT_EQ(r->interfaces.size(), 3u);
  EXPECT_EQ(r->interfaces[2].name, "eth0");
  EXPECT_EQ(r->interfaces[2].sandbox, "/run/netns/pod1");
  EXPECT_EQ(r->interfaces[2].mtu, 1450);
  EXPECT_TRUE(r->interfaces[0].sandbox.empty());
  ASSERT_EQ(r->ips.size(), 2u);
  EXPECT_EQ(r->ips[0].address, "10.88.77.2/24");
  EXPECT_EQ(r->ips[0].gateway, "10.88.77.1");
  EXPECT_EQ(r->ips[0].interface, 2);
  EXPECT_TRUE(r->ips[1].IsIPv6());
  ASSERT_EQ(r->routes.size(), 2u);
  EXPECT_EQ(r->routes[0].gw, "10.88.77.1");
  EXPECT_EQ(r->routes[1].dst, "::/0");
  EXPECT_EQ(r->dns.nameservers, std::vector<std::string>{"10.96.0.10"});
  EXPECT_EQ(r->dns.domain, "cluster.local");
  EXPECT_EQ(r->dns.options, std::vector<std::string>{"ndots:5"});
  EXPECT_EQ(PrimaryIPv4(*r), "10.88.77.2");
  EXPECT_EQ(PrimaryIPv6(*r), "fd00:10:88::2");
  EXPECT_EQ(r->raw["interfaces"][1]["name"], "veth7fb0dcc4");
}

TEST(ResultTest, Parses040And031) {
  auto r = ParseResult(std::string(kPtp040));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(PrimaryIPv4(*r), "10.1.2.3");
  EXPECT_EQ(PrimaryIPv6(*r), std::nullopt);

  r = ParseResult(std::string(kHostLocal031));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(PrimaryIPv4(*r), "10.9.0.5");
  EXPECT_EQ(PrimaryIPv6(*r), "fd00::5");
}

TEST(ResultTest, HostSideAddressesAreNotPrimary) {
  auto r = ParseResult(std::string(R"({"cniVersion":"1.0.0",
    "interfaces":[{"name":"cni0"},{"name":"eth0","sandbox":"/run/netns/x"}],
    "ips":[{"interface":0,"address":"10.0.0.1/24"},{"address":"10.0.0.9/24"},{"interface":1,"address":"10.0.0.2/24"}]})"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(PrimaryIPv4(*r), "10.0.0.2");
}

TEST(ResultTest, RejectsMalformedResults) {
  struct Case {
    const char* json;
    const char* want;
  } cases[] = {
      {"[1]", "not a JSON object"},
      {"{nope", "not valid JSON"},
      {R"({"ips":[]})", "cniVersion"},
      {R"({"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.2/24"}})", "not supported"},
      {R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.2"}]})", "ips[0].address"},
      {R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.300/24"}]})", "not a CIDR"},
      {R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.3/33"}]})", "not a CIDR"},
      {R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.3/24","interface":0}]})", "not an index"},
      {R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.0.3/24","gateway":"x"}]})", "ips[0].gateway"},
      {R"({"cniVersion":"1.0.0","interfaces":[{"mac":"aa"}]})", "has no name"},
      {R"({"cniVersion":"1.0.0","routes":[{"gw":"10.0.0.1"}]})", "routes[0].dst"},
      {R"({"cniVersion":"1.0.0","dns":{"nameservers":"10.0.0.1"}})", "dns.nameservers"},
  };
  for (const auto& c : cases) {
    auto r = ParseResult(std::string(c.json));
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.json;
    EXPECT_NE(r.status().message().find(c.want), std::string::npos) << c.json << " -> " << r.status();
  }
}

}  // namespace
}  // namespace silo::network::cni
