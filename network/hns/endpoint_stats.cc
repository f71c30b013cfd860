#include "network/hns/endpoint_stats.h"

#include "network/hns/errors.h"
#include "network/hns/guid.h"
#include "network/hns/namespace.h"
#include "nlohmann/json.hpp"
#include "runtime/base/windows/wide.h"

namespace silo::network::hns {
namespace {

using nlohmann::json;

HrStatus Malformed(std::string_view id, const std::string& what) {
  return HrStatus(errors::kEUnexpected, "HNSCall GET /endpointstats/" + std::string(id) + ": " + what);
}

}  // namespace

Result<EndpointStats> ParseEndpointStatsResponse(std::string_view id, const std::string& envelope) {
  const json doc = json::parse(envelope, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return Malformed(id, "response is not a JSON object");
  auto success = doc.find("Success");
  if (success == doc.end() || !success->is_boolean()) return Malformed(id, "response has no boolean Success");
  if (!success->get<bool>()) {
    std::string error = "failed";
    if (auto e = doc.find("Error"); e != doc.end() && e->is_string() && !e->get<std::string>().empty()) {
      error = e->get<std::string>();
    }
    return HrStatus(errors::kEFail, "HNSCall GET /endpointstats/" + std::string(id) + ": " + error);
  }
  EndpointStats stats;
  auto output = doc.find("Output");
  // hcsshim's hnsCall decodes nothing from a successful reply without
  // Output (or with null): zero counters, not an error.
  if (output == doc.end() || output->is_null()) {
    stats.endpoint_id = std::string(id);
    return stats;
  }
  if (!output->is_object()) return Malformed(id, "response Output is not an object");

  struct Counter {
    const char* key;
    uint64_t* out;
  };
  for (Counter c : {Counter{"BytesReceived", &stats.bytes_received}, Counter{"BytesSent", &stats.bytes_sent},
                    Counter{"PacketsReceived", &stats.packets_received}, Counter{"PacketsSent", &stats.packets_sent},
                    Counter{"DroppedPacketsIncoming", &stats.dropped_packets_incoming},
                    Counter{"DroppedPacketsOutgoing", &stats.dropped_packets_outgoing}}) {
    auto v = output->find(c.key);
    if (v == output->end() || v->is_null()) continue;
    if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<int64_t>() >= 0)) {
      return Malformed(id, std::string(c.key) + " is not a non-negative integer");
    }
    *c.out = v->get<uint64_t>();
  }
  for (auto [key, out] : {std::pair{"EndpointId", &stats.endpoint_id}, std::pair{"InstanceId", &stats.instance_id}}) {
    auto v = output->find(key);
    if (v == output->end() || v->is_null()) continue;
    if (!v->is_string()) return Malformed(id, std::string(key) + " is not a string");
    *out = v->get<std::string>();
  }
  if (stats.endpoint_id.empty()) stats.endpoint_id = std::string(id);
  return stats;
}

Result<EndpointStats> GetEndpointStats(const HcnApi& api, std::string_view id) {
  if (api.hns_call == nullptr) {
    return HrStatus(errors::kErrorProcNotFoundHr, "HNSCall: vmcompute.dll lacks it (endpoint statistics)");
  }
  // The id becomes part of a REST path: accept only a GUID.
  if (!CanonicalGuid(id)) return HrStatus(errors::kEInvalidArg, "invalid endpoint id \"" + std::string(id) + "\"");
  const std::wstring path = win32::Utf8ToWide("/endpointstats/" + std::string(id));
  HcnString response(api);
  const uint32_t hr = api.hns_call(L"GET", path.c_str(), L"", response.out());
  const std::string body = response.Utf8();
  response.Reset();
  if (errors::Failed(hr)) {
    std::string message = "HNSCall GET /endpointstats/" + std::string(id) + ": ";
    if (const char* name = errors::Name(hr); name != nullptr) {
      message += name;
    } else {
      message += "failed";
    }
    return HrStatus(hr, std::move(message));
  }
  return ParseEndpointStatsResponse(id, body);
}

Result<NamespaceEndpointStats> GetNamespaceEndpointStats(const HcnApi& api, std::string_view namespace_id) {
  Result<std::vector<std::string>> ids = NamespaceEndpointIds(api, namespace_id);
  if (!ids.ok()) return ids.status();
  NamespaceEndpointStats out;
  for (const std::string& id : *ids) {
    Result<EndpointStats> stats = GetEndpointStats(api, id);
    if (stats.ok()) {
      out.endpoints.push_back(std::move(*stats));
    } else {
      out.skipped.push_back(stats.status());
    }
  }
  return out;
}

}  // namespace silo::network::hns
