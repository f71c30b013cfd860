#pragma once
// HNS endpoint statistics (hcsshim internal/hns GetHNSEndpointStats, which
// containerd's Windows pod stats read for each endpoint of the pod's
// namespace). HCN v2 has no statistics call, so this is the one HNS v1
// call Silo makes: HNSCall("GET", "/endpointstats/<id>", "") in vmcompute.dll.
// Its response is an envelope {"Success":bool,"Error":"...","Output":{...}}
// whose Output has BytesReceived, BytesSent, PacketsReceived, PacketsSent,
// DroppedPacketsIncoming, DroppedPacketsOutgoing, EndpointId, InstanceId.
// HNS reports no error counts. Stateless and thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "network/hns/api.h"
#include "network/hns/check.h"

namespace silo::network::hns {

struct EndpointStats {
  uint64_t bytes_received = 0;
  uint64_t bytes_sent = 0;
  uint64_t packets_received = 0;
  uint64_t packets_sent = 0;
  uint64_t dropped_packets_incoming = 0;
  uint64_t dropped_packets_outgoing = 0;
  std::string endpoint_id;  // as HNS reports it (EndpointId), else the id asked for
  std::string instance_id;
};

// Parses an HNSCall envelope for endpoint `id`. An envelope with Success
// false fails with E_FAIL and HNS's Error text; anything that is not the
// documented shape (not JSON, Output neither an object nor absent/null, a
// counter that is not a non-negative integer) with E_UNEXPECTED. Missing
// counters are 0, as hcsshim's JSON decoding leaves them; a successful
// envelope without Output (or with null) is all zeros for `id`, as
// hcsshim's hnsCall returns it.
Result<EndpointStats> ParseEndpointStatsResponse(std::string_view id, const std::string& envelope);

// HNSCall + parse; the response is freed on every path. Fails with
// ERROR_PROC_NOT_FOUND (errors::IsUnsupported) when the table has no HNSCall.
Result<EndpointStats> GetEndpointStats(const HcnApi& api, std::string_view id);

// The statistics of every endpoint attached to namespace `namespace_id`, in
// attach order. As containerd does, an endpoint whose statistics cannot be
// read is left out (its error is in `skipped`, for the caller to log);
// failing to read the namespace fails the call.
struct NamespaceEndpointStats {
  std::vector<EndpointStats> endpoints;
  std::vector<HrStatus> skipped;
};
Result<NamespaceEndpointStats> GetNamespaceEndpointStats(const HcnApi& api, std::string_view namespace_id);

}  // namespace silo::network::hns
