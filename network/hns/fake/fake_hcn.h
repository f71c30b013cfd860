#pragma once
// FakeHcn: an in-memory computenetwork.dll behind an HcnApi table, so the
// HCN layer and the pod-network code above it run on Linux. It models
// networks, namespaces (compartments) and endpoints, attach/detach through
// HcnModifyNamespace, handles and returned strings (both counted, so tests
// catch leaks), and answers with upper-case GUIDs as HNS does.
//
// Faults are injected per call and consumed in order: a failing HRESULT with
// an error record, S_OK *with* an error record (HNS reports some failures
// that way; the action is then not performed), or S_OK with a replacement
// output document (e.g. malformed JSON).
//
// The table holds plain function pointers, so at most one FakeHcn may be
// alive per process (checked). All methods are thread-safe.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "network/hns/api.h"
#include "network/hns/endpoint_stats.h"
#include "network/hns/schema.h"

namespace silo::network::hns::fake {

enum class FakeHcnCall {
  kEnumerateNetworks,
  kOpenNetwork,
  kQueryNetwork,
  kEnumerateNamespaces,
  kCreateNamespace,
  kOpenNamespace,
  kModifyNamespace,
  kQueryNamespace,
  kDeleteNamespace,
  kEnumerateEndpoints,
  kOpenEndpoint,
  kQueryEndpoint,
  kDeleteEndpoint,
  kHnsCall,
};

struct FakeHcnInjection {
  FakeHcnInjection(FakeHcnCall c, uint32_t code, std::string record = {},
                   std::optional<std::string> replacement = std::nullopt, int count = 1)
      : call(c), hr(code), error_record(std::move(record)), output(std::move(replacement)), times(count) {}

  FakeHcnCall call;
  uint32_t hr;                        // returned HRESULT (may be S_OK)
  std::string error_record;           // returned through ErrorRecord when non-empty
  std::optional<std::string> output;  // with hr S_OK and no record: replaces the output document
  int times;                          // how many calls it applies to
};

// Endpoint counters for SetEndpointStats (the ids are left to HNS).
inline EndpointStats EndpointCounters(uint64_t rx, uint64_t tx, uint64_t packets_rx, uint64_t packets_tx,
                                      uint64_t dropped_in, uint64_t dropped_out) {
  EndpointStats s;
  s.bytes_received = rx;
  s.bytes_sent = tx;
  s.packets_received = packets_rx;
  s.packets_sent = packets_tx;
  s.dropped_packets_incoming = dropped_in;
  s.dropped_packets_outgoing = dropped_out;
  return s;
}

class FakeHcn {
 public:
  FakeHcn();
  ~FakeHcn();
  FakeHcn(const FakeHcn&) = delete;
  FakeHcn& operator=(const FakeHcn&) = delete;

  const HcnApi& api() const { return api_; }

  void Inject(FakeHcnInjection injection);

  // --- Simulation controls (what CNI plugins or other software do) ----------
  // Returns the new object's canonical (lower-case) id.
  std::string AddNetwork(const std::string& name, const std::string& type);
  std::string AddNamespace(const std::string& type);
  // HcnCreateEndpoint (+ attach when `namespace_id` is set), as win-bridge does.
  std::string AddEndpoint(const std::string& network_id, const std::string& name, const std::string& ip,
                          uint32_t prefix_length, const std::string& namespace_id = {});
  // An endpoint whose HostComputeNamespace names `namespace_id` but which the
  // namespace does not list (a CNI ADD that died between create and attach).
  std::string AddDanglingEndpoint(const std::string& network_id, const std::string& namespace_id);
  // HcnCreateNamespace assigns a fresh id even when the caller passes one, as
  // hcsshim's callers (which always pass the zero GUID) would never notice:
  // whether a Windows build honours the caller's id is not documented.
  void set_ignore_requested_namespace_ids(bool ignore);
  // The counters HNSCall GET /endpointstats/<id> reports for an endpoint.
  // HNS v1 reports a missing endpoint as S_OK with
  // {"Success":false,"Error":...}; other paths and methods are refused with
  // E_NOTIMPL (the fake models only what Silo calls), null arguments with
  // E_POINTER.
  // (zero until set; the ids in `counters` are ignored: HNS reports the
  // endpoint's own).
  void SetEndpointStats(const std::string& endpoint_id, const EndpointStats& counters);
  // Removes an endpoint as another program would (no detach from its namespace).
  void RemoveEndpointBehindOurBack(const std::string& endpoint_id);

  // --- Observations (ids in any case) ----------------------------------------
  bool NamespaceExists(const std::string& id) const;
  bool EndpointExists(const std::string& id) const;
  std::vector<std::string> NamespaceIds() const;
  std::vector<std::string> NamespaceEndpoints(const std::string& id) const;
  std::string LastCreateSettings() const;  // settings JSON of the last HcnCreateNamespace
  std::string LastModifySettings() const;
  int open_handles() const;
  int outstanding_strings() const;
  int calls(FakeHcnCall call) const;

  struct Impl;  // defined in fake_hcn.cc

 private:
  std::unique_ptr<Impl> impl_;
  HcnApi api_{};
};

}  // namespace silo::network::hns::fake
