#pragma once
// HCN v2 JSON documents (hcsshim hcn/hcnnamespace.go, hcnendpoint.go,
// hcnnetwork.go), with HNS's exact field names. Writers emit only the fields
// HNS needs, omitting empty ones as hcsshim's `omitempty` does; readers take
// the fields Silo uses and ignore the rest. HNS writes "ID"; Go decodes
// case-insensitively, so readers also accept "Id". GUIDs read from HNS are
// canonicalised (guid.h). Pure functions, thread-safe; no exceptions escape.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/windows/result.h"

namespace silo::network::hns {

using silo::win32::Result;

struct SchemaVersion {
  uint32_t major = 2;
  uint32_t minor = 0;
};

// "Host" | "HostDefault" | "Guest" | "GuestDefault".
inline constexpr char kNamespaceTypeHost[] = "Host";
inline constexpr char kNamespaceTypeHostDefault[] = "HostDefault";
inline constexpr char kResourceTypeEndpoint[] = "Endpoint";
inline constexpr char kResourceTypeContainer[] = "Container";

// Resources[i] = {"Type": "Endpoint"|"Container", "Data": {"ID": "<guid>"}}.
struct NamespaceResource {
  std::string type;
  std::string id;
};

struct HostComputeNamespace {
  std::string id;             // "ID"
  uint32_t namespace_id = 0;  // "NamespaceId": the compartment number
  std::string type;           // "Type"
  std::vector<NamespaceResource> resources;
  SchemaVersion schema_version;

  std::vector<std::string> EndpointIds() const;
};

struct IpConfiguration {
  std::string ip_address;     // "IpAddress"
  uint32_t prefix_length = 0;  // "PrefixLength"
};

struct Dns {
  std::string domain;                   // "Domain"
  std::vector<std::string> search;      // "Search"
  std::vector<std::string> server_list;  // "ServerList"
  std::vector<std::string> options;     // "Options"
};

struct HostComputeEndpoint {
  std::string id;                 // "ID"
  std::string name;               // "Name"
  std::string network_id;         // "HostComputeNetwork"
  std::string namespace_id;       // "HostComputeNamespace" ("" when not attached)
  std::vector<IpConfiguration> ip_configurations;  // "IpConfigurations"
  Dns dns;                        // "Dns"
  std::string mac_address;        // "MacAddress"
};

struct HostComputeNetwork {
  std::string id;    // "ID"
  std::string name;  // "Name"
  std::string type;  // "Type": NAT, L2Bridge, Overlay, ...
};

// Settings for HcnCreateNamespace: {"Type":..., "SchemaVersion":{...}}; Type omitted when empty.
std::string NamespaceSettingsJson(const HostComputeNamespace& ns);
// Full document (golden tests, the fake): every non-empty field.
std::string NamespaceToJson(const HostComputeNamespace& ns);
std::string EndpointToJson(const HostComputeEndpoint& ep);
std::string NetworkToJson(const HostComputeNetwork& net);

Result<HostComputeNamespace> ParseNamespace(std::string_view json);
Result<HostComputeEndpoint> ParseEndpoint(std::string_view json);
Result<HostComputeNetwork> ParseNetwork(std::string_view json);
// Enumerate outputs: a JSON array of GUID strings (null or "" = none). Canonicalised.
Result<std::vector<std::string>> ParseIdList(std::string_view json);

// HostComputeQuery: {"SchemaVersion":{"Major":2,"Minor":0},"Flags":0|1,"Filter":"{\"ID\":\"<id>\"}"};
// Filter is omitted when `id` is empty. Flags 1 = Detailed.
std::string QueryJson(std::string_view id = {}, bool detailed = false);
// ModifyNamespaceSettingRequest for an endpoint: request_type "Add" or "Remove".
std::string ModifyNamespaceEndpointJson(std::string_view request_type, std::string_view endpoint_id);

}  // namespace silo::network::hns
