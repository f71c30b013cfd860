#include "network/hns/endpoint.h"

#include "network/hns/handle.h"

namespace silo::network::hns {
namespace {

using internal::Kind;

constexpr Kind kEndpoint = {"endpoint", "HcnOpenEndpoint", "HcnQueryEndpointProperties", "HcnEnumerateEndpoints",
                            "HcnDeleteEndpoint"};
constexpr Kind kNetwork = {"network", "HcnOpenNetwork", "HcnQueryNetworkProperties", "HcnEnumerateNetworks",
                           "HcnDeleteNetwork"};

template <typename T>
Result<T> Annotated(const char* kind, std::string_view id, Result<T> parsed) {
  if (parsed.ok()) return parsed;
  return HrStatus(parsed.status().hr(), std::string(kind) + " " + std::string(id) + ": " + parsed.status().message());
}

}  // namespace

Result<HostComputeEndpoint> GetEndpoint(const HcnApi& api, std::string_view id) {
  Result<std::string> doc = internal::OpenAndQuery(api, kEndpoint, id, api.open_endpoint,
                                                   api.query_endpoint_properties, api.close_endpoint);
  if (!doc.ok()) return doc.status();
  return Annotated("endpoint", id, ParseEndpoint(*doc));
}

Result<std::vector<std::string>> EnumerateEndpoints(const HcnApi& api) {
  return internal::Enumerate(api, kEndpoint, api.enumerate_endpoints);
}

Result<std::vector<HostComputeEndpoint>> ListEndpoints(const HcnApi& api) {
  Result<std::vector<std::string>> ids = EnumerateEndpoints(api);
  if (!ids.ok()) return ids.status();
  std::vector<HostComputeEndpoint> out;
  for (const std::string& id : *ids) {
    Result<HostComputeEndpoint> ep = GetEndpoint(api, id);
    if (!ep.ok()) {
      if (errors::IsNotFound(ep.status().hr())) continue;  // deleted since the enumeration
      return ep.status();
    }
    out.push_back(std::move(*ep));
  }
  return out;
}

HrStatus DeleteEndpoint(const HcnApi& api, std::string_view id) {
  return internal::Delete(api, kEndpoint, id, api.delete_endpoint);
}

Result<HostComputeNetwork> GetNetwork(const HcnApi& api, std::string_view id) {
  Result<std::string> doc = internal::OpenAndQuery(api, kNetwork, id, api.open_network, api.query_network_properties,
                                                   api.close_network);
  if (!doc.ok()) return doc.status();
  return Annotated("network", id, ParseNetwork(*doc));
}

Result<std::vector<std::string>> EnumerateNetworks(const HcnApi& api) {
  return internal::Enumerate(api, kNetwork, api.enumerate_networks);
}

}  // namespace silo::network::hns
