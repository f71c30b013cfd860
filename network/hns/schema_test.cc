#include "network/hns/schema.h"

#include "gtest/gtest.h"
#include "network/hns/errors.h"
#include "nlohmann/json.hpp"

namespace silo::network::hns {
namespace {

using nlohmann::json;

TEST(SchemaTest, NamespaceSettingsOmitEmptyType) {
  EXPECT_EQ(json::parse(NamespaceSettingsJson({})), json::parse(R"({"SchemaVersion":{"Major":2,"Minor":0}})"));
  HostComputeNamespace host;
  host.type = kNamespaceTypeHost;
  EXPECT_EQ(json::parse(NamespaceSettingsJson(host)),
            json::parse(R"({"Type":"Host","SchemaVersion":{"Major":2,"Minor":0}})"));
}

TEST(SchemaTest, NamespaceGoldenRoundTrip) {
  HostComputeNamespace ns;
  ns.id = "5f0a4a57-8b0e-4c8e-9b1a-2a8c1c3f9d10";
  ns.namespace_id = 7;
  ns.type = kNamespaceTypeHost;
  ns.resources = {{"Endpoint", "a1b2c3d4-0000-4000-8000-000000000001"},
                  {"Container", "a1b2c3d4-0000-4000-8000-000000000002"}};
  const json golden = json::parse(R"({
    "ID":"5f0a4a57-8b0e-4c8e-9b1a-2a8c1c3f9d10","NamespaceId":7,"Type":"Host",
    "Resources":[{"Type":"Endpoint","Data":{"ID":"a1b2c3d4-0000-4000-8000-000000000001"}},
                 {"Type":"Container","Data":{"ID":"a1b2c3d4-0000-4000-8000-000000000002"}}],
    "SchemaVersion":{"Major":2,"Minor":0}})");
  EXPECT_EQ(json::parse(NamespaceToJson(ns)), golden);
  Result<HostComputeNamespace> back = ParseNamespace(golden.dump());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->id, ns.id);
  EXPECT_EQ(back->namespace_id, 7u);
  EXPECT_EQ(back->EndpointIds(), std::vector<std::string>{"a1b2c3d4-0000-4000-8000-000000000001"});
}

TEST(SchemaTest, ParsesHnsStyleNamespace) {
  // Upper-case ids, Go-style "Id" spelling, Data as a JSON string, unknown fields.
  Result<HostComputeNamespace> ns = ParseNamespace(R"({
    "Id":"5F0A4A57-8B0E-4C8E-9B1A-2A8C1C3F9D10","NamespaceId":3,"Type":"HostDefault","Extra":{"x":1},
    "Resources":[{"Type":"Endpoint","Data":"{\"ID\":\"A1B2C3D4-0000-4000-8000-000000000001\"}"}],
    "SchemaVersion":{"Major":2,"Minor":1}})");
  ASSERT_TRUE(ns.ok()) << ns.status().ToString();
  EXPECT_EQ(ns->id, "5f0a4a57-8b0e-4c8e-9b1a-2a8c1c3f9d10");
  EXPECT_EQ(ns->type, "HostDefault");
  EXPECT_EQ(ns->schema_version.minor, 1u);
  EXPECT_EQ(ns->EndpointIds(), std::vector<std::string>{"a1b2c3d4-0000-4000-8000-000000000001"});
}

TEST(SchemaTest, ParsesEndpoint) {
  Result<HostComputeEndpoint> ep = ParseEndpoint(R"({
    "ID":"A1B2C3D4-0000-4000-8000-000000000001","Name":"pod1_cbr0",
    "HostComputeNetwork":"B1B2C3D4-0000-4000-8000-000000000009",
    "HostComputeNamespace":"5F0A4A57-8B0E-4C8E-9B1A-2A8C1C3F9D10",
    "IpConfigurations":[{"IpAddress":"10.244.1.5","PrefixLength":24},{"IpAddress":"fd00::5","PrefixLength":64}],
    "Dns":{"Domain":"","Search":["default.svc.cluster.local"],"ServerList":["10.96.0.10"],"Options":["ndots:5"]},
    "Routes":[{"NextHop":"10.244.1.1","DestinationPrefix":"0.0.0.0/0","Metric":0}],
    "MacAddress":"00-15-5D-01-02-03","Flags":0,"Policies":[],"SchemaVersion":{"Major":2,"Minor":0}})");
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->id, "a1b2c3d4-0000-4000-8000-000000000001");
  EXPECT_EQ(ep->name, "pod1_cbr0");
  EXPECT_EQ(ep->network_id, "b1b2c3d4-0000-4000-8000-000000000009");
  EXPECT_EQ(ep->namespace_id, "5f0a4a57-8b0e-4c8e-9b1a-2a8c1c3f9d10");
  ASSERT_EQ(ep->ip_configurations.size(), 2u);
  EXPECT_EQ(ep->ip_configurations[0].ip_address, "10.244.1.5");
  EXPECT_EQ(ep->ip_configurations[0].prefix_length, 24u);
  EXPECT_EQ(ep->ip_configurations[1].prefix_length, 64u);
  EXPECT_EQ(ep->dns.search, std::vector<std::string>{"default.svc.cluster.local"});
  EXPECT_EQ(ep->dns.server_list, std::vector<std::string>{"10.96.0.10"});
  EXPECT_EQ(ep->dns.options, std::vector<std::string>{"ndots:5"});
  EXPECT_EQ(ep->mac_address, "00-15-5D-01-02-03");
}

TEST(SchemaTest, EndpointGoldenFieldNames) {
  HostComputeEndpoint ep;
  ep.id = "a";
  ep.name = "n";
  ep.network_id = "net";
  ep.namespace_id = "ns";
  ep.ip_configurations = {{"10.0.0.2", 16}};
  ep.dns.server_list = {"10.96.0.10"};
  EXPECT_EQ(json::parse(EndpointToJson(ep)), json::parse(R"({
    "ID":"a","Name":"n","HostComputeNetwork":"net","HostComputeNamespace":"ns",
    "IpConfigurations":[{"IpAddress":"10.0.0.2","PrefixLength":16}],"Dns":{"ServerList":["10.96.0.10"]},
    "SchemaVersion":{"Major":2,"Minor":0}})"));
}

TEST(SchemaTest, ParsesNetwork) {
  Result<HostComputeNetwork> net =
      ParseNetwork(R"({"ID":"B1B2C3D4-0000-4000-8000-000000000009","Name":"cbr0","Type":"L2Bridge","Ipams":[]})");
  ASSERT_TRUE(net.ok());
  EXPECT_EQ(net->id, "b1b2c3d4-0000-4000-8000-000000000009");
  EXPECT_EQ(net->name, "cbr0");
  EXPECT_EQ(net->type, "L2Bridge");
}

TEST(SchemaTest, QueryAndModifyDocuments) {
  EXPECT_EQ(json::parse(QueryJson()), json::parse(R"({"SchemaVersion":{"Major":2,"Minor":0},"Flags":0})"));
  EXPECT_EQ(json::parse(QueryJson("abc", /*detailed=*/true)),
            json::parse(R"({"SchemaVersion":{"Major":2,"Minor":0},"Flags":1,"Filter":"{\"ID\":\"abc\"}"})"));
  EXPECT_EQ(json::parse(ModifyNamespaceEndpointJson("Add", "e1")),
            json::parse(R"({"ResourceType":"Endpoint","RequestType":"Add","Settings":{"EndpointId":"e1"}})"));
}

TEST(SchemaTest, IdLists) {
  Result<std::vector<std::string>> ids =
      ParseIdList(R"(["5F0A4A57-8B0E-4C8E-9B1A-2A8C1C3F9D10","{a1b2c3d4-0000-4000-8000-000000000001}"])");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<std::string>{"5f0a4a57-8b0e-4c8e-9b1a-2a8c1c3f9d10",
                                            "a1b2c3d4-0000-4000-8000-000000000001"}));
  EXPECT_TRUE(ParseIdList("").ok());
  EXPECT_TRUE(ParseIdList("null")->empty());
  EXPECT_TRUE(ParseIdList("[]")->empty());
}

TEST(SchemaTest, MalformedDocumentsAreErrorsNotExceptions) {
  for (const char* bad : {"", "{", "[]", R"({"NamespaceId":"x"})", R"({"Resources":[{"Data":"{not json"}]})"}) {
    Result<HostComputeNamespace> ns = ParseNamespace(bad);
    ASSERT_FALSE(ns.ok()) << bad;
    EXPECT_EQ(ns.status().hr(), errors::kEUnexpected);
  }
  EXPECT_FALSE(ParseEndpoint(R"({"IpConfigurations":[{"PrefixLength":"24"}]})").ok());
  EXPECT_FALSE(ParseNetwork("42").ok());
  EXPECT_FALSE(ParseIdList(R"(["not-a-guid"])").ok());
  EXPECT_FALSE(ParseIdList(R"({"a":1})").ok());
  EXPECT_FALSE(ParseIdList(R"([1])").ok());
}

}  // namespace
}  // namespace silo::network::hns
