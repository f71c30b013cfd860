#include "runtime/windows/hypervisor/guest_network.h"

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "runtime/windows/hypervisor/golden.h"

namespace silo::runtime::windows::hypervisor {
namespace {

using nlohmann::json;

constexpr char kAdapter[] = "7d3a1c52-9f0e-4b8a-8c1d-2e3f4a5b6c7d";

json Namespace() {
  return json::parse(R"({"Id": "0b4f5d0e-3c2a-4f57-9a61-7d1e2c3b4a59", "Type": "HostDefault",
                         "SchemaVersion": {"Major": 2, "Minor": 0}})");
}

json Endpoint() {
  return json::parse(R"({"Id": "e1d2c3b4-a5f6-4788-9900-aabbccddeeff", "MacAddress": "00-15-5D-52-C0-01",
                         "HostComputeNamespace": "0b4f5d0e-3c2a-4f57-9a61-7d1e2c3b4a59",
                         "IpConfigurations": [{"IpAddress": "10.0.0.7", "PrefixLength": 24}]})");
}

// hcsshim internal/uvm/network.go AddNetNS/RemoveNetNS for Windows: the HCN
// namespace document, whole, as the guest request's settings.
TEST(GuestNetworkTest, NamespaceRequestsMatchGolden) {
  EXPECT_TRUE(MatchesGolden(BuildGuestNamespaceAddRequest(Namespace()), R"json({
    "GuestRequest": {"RequestType": "Add", "ResourceType": "NetworkNamespace", "Settings":
      {"Id": "0b4f5d0e-3c2a-4f57-9a61-7d1e2c3b4a59", "Type": "HostDefault", "SchemaVersion": {"Major": 2, "Minor": 0}}}
  })json"));
  EXPECT_TRUE(MatchesGolden(BuildGuestNamespaceRemoveRequest(Namespace()), R"json({
    "GuestRequest": {"RequestType": "Remove", "ResourceType": "NetworkNamespace", "Settings":
      {"Id": "0b4f5d0e-3c2a-4f57-9a61-7d1e2c3b4a59", "Type": "HostDefault", "SchemaVersion": {"Major": 2, "Minor": 0}}}
  })json"));
}

// addNIC: a guest-only PreAdd carrying the endpoint (NetworkModifyRequest,
// RS5+), then the host adapter with its guest half.
TEST(GuestNetworkTest, AdapterPreAddAndAddMatchGolden) {
  EXPECT_TRUE(MatchesGolden(BuildNetworkAdapterPreAddRequest(kAdapter, Endpoint()), R"json({
    "GuestRequest": {"RequestType": "Add", "ResourceType": "Network", "Settings": {
      "AdapterId": "7d3a1c52-9f0e-4b8a-8c1d-2e3f4a5b6c7d", "RequestType": "PreAdd",
      "Settings": {"Id": "e1d2c3b4-a5f6-4788-9900-aabbccddeeff", "MacAddress": "00-15-5D-52-C0-01",
                   "HostComputeNamespace": "0b4f5d0e-3c2a-4f57-9a61-7d1e2c3b4a59",
                   "IpConfigurations": [{"IpAddress": "10.0.0.7", "PrefixLength": 24}]}}}
  })json"));
  EXPECT_TRUE(MatchesGolden(BuildNetworkAdapterAddRequest(kAdapter, Endpoint()), R"json({
    "RequestType": "Add",
    "ResourcePath": "VirtualMachine/Devices/NetworkAdapters/7d3a1c52-9f0e-4b8a-8c1d-2e3f4a5b6c7d",
    "Settings": {"EndpointId": "e1d2c3b4-a5f6-4788-9900-aabbccddeeff", "MacAddress": "00-15-5D-52-C0-01"},
    "GuestRequest": {"RequestType": "Add", "ResourceType": "Network",
                     "Settings": {"AdapterId": "7d3a1c52-9f0e-4b8a-8c1d-2e3f4a5b6c7d", "RequestType": "Add"}}
  })json"));
}

// removeNIC's guest half has no ResourceType (network.go).
TEST(GuestNetworkTest, AdapterRemoveMatchesGolden) {
  EXPECT_TRUE(MatchesGolden(BuildNetworkAdapterRemoveRequest(kAdapter, Endpoint()), R"json({
    "RequestType": "Remove",
    "ResourcePath": "VirtualMachine/Devices/NetworkAdapters/7d3a1c52-9f0e-4b8a-8c1d-2e3f4a5b6c7d",
    "Settings": {"EndpointId": "e1d2c3b4-a5f6-4788-9900-aabbccddeeff", "MacAddress": "00-15-5D-52-C0-01"},
    "GuestRequest": {"RequestType": "Remove",
                     "Settings": {"AdapterId": "7d3a1c52-9f0e-4b8a-8c1d-2e3f4a5b6c7d", "RequestType": "Remove"}}
  })json"));
}

TEST(GuestNetworkTest, MalformedHcnDocumentsAndAdapterIdsAreRefused) {
  json no_id = Namespace();
  no_id.erase("Id");
  EXPECT_EQ(BuildGuestNamespaceAddRequest(no_id).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildGuestNamespaceAddRequest(json::array()).status().code(), absl::StatusCode::kInvalidArgument);
  json no_mac = Endpoint();
  no_mac.erase("MacAddress");
  EXPECT_EQ(BuildNetworkAdapterAddRequest(kAdapter, no_mac).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildNetworkAdapterPreAddRequest("nic0", Endpoint()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildNetworkAdapterRemoveRequest(kAdapter, json{{"Id", "x"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace silo::runtime::windows::hypervisor
