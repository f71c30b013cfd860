#include "network/hns/fake/fake_hcn.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <random>

#include "network/hns/errors.h"
#include "network/hns/guid.h"
#include "nlohmann/json.hpp"
#include "runtime/base/windows/wide.h"

namespace silo::network::hns::fake {

using nlohmann::json;
using silo::win32::Utf8ToWide;
using silo::win32::WideToUtf8;

namespace {

struct FakeNamespace {
  std::string type;
  uint32_t compartment = 0;
  std::vector<std::string> endpoints;  // canonical ids, attach order
};

enum class HandleKind { kNetwork, kNamespace, kEndpoint };

struct Handle {
  HandleKind kind;
  std::string id;
};

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string Canon(const std::string& id) { return CanonicalGuid(id).value_or(id); }

}  // namespace

struct FakeHcn::Impl {
  mutable std::mutex mu;
  std::map<std::string, HostComputeNetwork> networks;
  std::map<std::string, FakeNamespace> namespaces;
  std::map<std::string, HostComputeEndpoint> endpoints;
  std::map<uintptr_t, Handle> handles;
  uintptr_t next_handle = 0x100;
  uint32_t next_compartment = 2;  // 1 is the host's default compartment
  std::deque<FakeHcnInjection> injections;
  std::map<FakeHcnCall, int> call_counts;
  std::string last_create_settings;
  bool ignore_requested_namespace_ids = false;
  std::string last_modify_settings;
  std::map<std::string, EndpointStats> endpoint_stats;
  std::mt19937_64 rng{std::random_device{}()};
  int strings = 0;

  std::string NewId() {
    HcnGuid g;
    const uint64_t a = rng();
    const uint64_t b = rng();
    g.data1 = static_cast<uint32_t>(a);
    g.data2 = static_cast<uint16_t>(a >> 32);
    g.data3 = static_cast<uint16_t>(0x4000 | ((a >> 48) & 0x0FFF));
    std::memcpy(g.data4, &b, sizeof(g.data4));
    return FormatGuid(g);
  }

  wchar_t* Dup(const std::string& utf8) {
    const std::wstring w = Utf8ToWide(utf8);
    auto* out = new wchar_t[w.size() + 1];
    std::memcpy(out, w.c_str(), (w.size() + 1) * sizeof(wchar_t));
    ++strings;
    return out;
  }

  // Records the call; returns the injection to apply, if any.
  std::optional<FakeHcnInjection> Take(FakeHcnCall call) {
    ++call_counts[call];
    for (auto it = injections.begin(); it != injections.end(); ++it) {
      if (it->call != call) continue;
      FakeHcnInjection inj = *it;
      if (--it->times <= 0) injections.erase(it);
      return inj;
    }
    return std::nullopt;
  }

  // Applies an injection that replaces the call's behaviour. Returns true
  // (and sets *hr) when the call must return now.
  bool Injected(FakeHcnCall call, wchar_t** output, wchar_t** record, uint32_t* hr) {
    std::optional<FakeHcnInjection> inj = Take(call);
    if (!inj) return false;
    if (!inj->error_record.empty() && record != nullptr) *record = Dup(inj->error_record);
    if (inj->output && output != nullptr && inj->error_record.empty() && inj->hr == 0) *output = Dup(*inj->output);
    *hr = inj->hr;
    return true;
  }

  uint32_t Fail(uint32_t hr, const std::string& message, wchar_t** record) {
    if (record != nullptr) *record = Dup(json{{"Error", static_cast<int32_t>(hr)}, {"ErrorMessage", message}}.dump());
    return hr;
  }

  // A valid HostComputeQuery, as HNS insists on.
  bool ValidQuery(const wchar_t* query) {
    if (query == nullptr) return false;
    const json q = json::parse(WideToUtf8(query), nullptr, false);
    return q.is_object() && q.contains("SchemaVersion");
  }

  HcnHandle NewHandle(HandleKind kind, const std::string& id) {
    const uintptr_t h = next_handle++;
    handles[h] = Handle{kind, id};
    return reinterpret_cast<HcnHandle>(h);
  }

  const Handle* Lookup(HcnHandle h, HandleKind kind) {
    auto it = handles.find(reinterpret_cast<uintptr_t>(h));
    if (it == handles.end() || it->second.kind != kind) return nullptr;
    return &it->second;
  }

  uint32_t Close(HcnHandle h, HandleKind kind) {
    auto it = handles.find(reinterpret_cast<uintptr_t>(h));
    if (it == handles.end() || it->second.kind != kind) return 0x80070006;  // E_HANDLE-ish: invalid handle
    handles.erase(it);
    return 0;
  }

  std::string NamespaceDoc(const std::string& id) {
    const FakeNamespace& ns = namespaces.at(id);
    HostComputeNamespace doc;
    doc.id = Upper(id);
    doc.namespace_id = ns.compartment;
    doc.type = ns.type;
    for (const std::string& ep : ns.endpoints) doc.resources.push_back({kResourceTypeEndpoint, Upper(ep)});
    return NamespaceToJson(doc);
  }

  std::string EndpointDoc(const std::string& id) {
    HostComputeEndpoint ep = endpoints.at(id);
    ep.id = Upper(ep.id);
    ep.network_id = Upper(ep.network_id);
    ep.namespace_id = Upper(ep.namespace_id);
    return EndpointToJson(ep);
  }

  std::string NetworkDoc(const std::string& id) {
    HostComputeNetwork net = networks.at(id);
    net.id = Upper(net.id);
    return NetworkToJson(net);
  }

  template <typename Map>
  uint32_t EnumerateIds(FakeHcnCall call, const Map& objects, const wchar_t* query, wchar_t** ids, wchar_t** record) {
    uint32_t hr = 0;
    if (Injected(call, ids, record, &hr)) return hr;
    if (!ValidQuery(query)) return Fail(errors::kHcnEInvalidJson, "invalid query", record);
    json list = json::array();
    for (const auto& [id, unused] : objects) list.push_back(Upper(id));
    *ids = Dup(list.dump());
    return 0;
  }

  template <typename Map>
  uint32_t Open(FakeHcnCall call, const Map& objects, HandleKind kind, uint32_t not_found, const HcnGuid* id,
                HcnHandle* handle, wchar_t** record) {
    uint32_t hr = 0;
    if (Injected(call, nullptr, record, &hr)) return hr;
    const std::string key = FormatGuid(*id);
    if (objects.count(key) == 0) return Fail(not_found, "object " + key + " not found", record);
    *handle = NewHandle(kind, key);
    return 0;
  }

  uint32_t Detach(const std::string& ns_id, const std::string& ep_id) {
    auto ns = namespaces.find(ns_id);
    if (ns == namespaces.end()) return errors::kErrorNotFoundHr;
    auto& list = ns->second.endpoints;
    auto it = std::find(list.begin(), list.end(), ep_id);
    if (it == list.end()) return errors::kHcnEEndpointNotFound;
    list.erase(it);
    if (auto ep = endpoints.find(ep_id); ep != endpoints.end()) ep->second.namespace_id.clear();
    return 0;
  }
};

namespace {

std::atomic<FakeHcn::Impl*> g_impl{nullptr};

FakeHcn::Impl& I() {
  FakeHcn::Impl* impl = g_impl.load();
  if (impl == nullptr) std::abort();  // a table outlived its FakeHcn
  return *impl;
}

uint32_t EnumerateNetworks(const wchar_t* query, wchar_t** ids, wchar_t** record) {
  auto& i = I();
  std::lock_guard<std::mutex> lock(i.mu);
  return i.EnumerateIds(FakeHcnCall::kEnumerateNetworks, i.networks, query, ids, record);
}

uint32_t OpenNetwork(const HcnGuid* id, HcnHandle* handle, wchar_t** record) {
  auto& i = I();
  std::lock_guard<std::mutex> lock(i.mu);
  return i.Open(FakeHcnCall::kOpenNetwork, i.networks, HandleKind::kNetwork, errors::kHcnENetworkNotFound, id, handle,
                record);
}

uint32_t QueryNetwork(HcnHandle handle, const wchar_t* query, wchar_t** props, wchar_t** record) {
  auto& i = I();
  std::lock_guard<std::mutex> lock(i.mu);
  uint32_t hr = 0;
  if (i.Injected(FakeHcnCall::kQueryNetwork, props, record, &hr)) return hr;
  const Handle* h = i.Lookup(handle, HandleKind::kNetwork);
  if (h == nullptr) return i.Fail(0x80070006, "invalid handle", record);
  if (!i.ValidQuery(query)) return i.Fail(errors::kHcnEInvalidJson, "invalid query", record);
  if (i.networks.count(h->id) == 0) return i.Fail(errors::kHcnENetworkNotFound, "network deleted", record);
  *props = i.Dup(i.NetworkDoc(h->id));
  return 0;
}

uint32_t CloseNetwork(HcnHandle handle) {
  auto& i = I();
  std::lock_guard<std::mutex> lock(i.mu);
  return i.Close(handle, HandleKind::kNetwork);
}

uint32_t EnumerateNamespaces(const wchar_t* query, wchar_t** ids, wchar_t** record) {
  auto& i = I();
  std::lock_guard<std::mutex> lock(i.mu);
  return i.EnumerateIds(FakeHcnCall::kEnumerateNamespaces, i.namespaces, query, ids, record);
}

uint32_t CreateNamespace(const HcnGuid* id, const wchar_t* settings, HcnHandle* handle, wchar_t** record) {
  auto& i = I();
  std::lock_guard<std::mutex> lock(i.mu);
  uint32_t hr = 0;
  if (i.Injected(FakeHcnCall::kCreateNamespace, nullptr, record, &hr)) return hr;
  const std::string text = settings == nullptr ? std::string() : WideToUtf8(settings);
  i.last_create_settings = text;
  const json doc = json::parse(text, nullptr, false);
  if (!doc.is_object() || !doc.contains("SchemaVersion")) {
    return i.Fail(errors::kHcnEInvalidJson, "invalid namespace settings", record);
  }
  std::string key = IsZeroGuid(*id) || i.ignore_requested_namespace_ids ? i.NewId() : FormatGuid(*id);
  if (i.namespaces.count(key) != 0) return i.Fail(errors::kErrorAlreadyExistsHr, "namespace exists", record);
  FakeNamespace ns;
  ns.type = doc.value("Type", std::string(kNamespaceTypeHost));
  ns.compartment = i.next_compartment++;
  i.namespaces[key] = ns;
  *handle = i.NewHandle(HandleKind::kNamespace, key);
  return 0;
}

uint32_t OpenNamespace(const HcnGuid* id, HcnHandle* handle, wchar_t** record) {
  auto& i = I();
  std::lock_guard<std::mutex> lock(i.mu);
  return i.Open(FakeHcnCall::kOpenNamespace, i.namespaces, HandleKind::kNamespace, errors::kErrorNotFoundHr, id,
                handle, record);
}

uint32_t ModifyNamespace(HcnHandle handle, const wchar_t* settings, wchar_t** record) {
  auto& i = I();
  std::lock_guard<std::mutex> lock(i.mu);
  uint32_t hr = 0;
  if (i.Injected(FakeHcnCall::kModifyNamespace, nullptr, record, &hr)) return hr;
  const Handle* h = i.Lookup(handle, HandleKind::kNamespace);
  if (h == nullptr) return i.Fail(0x80070006, "invalid handle", record);
  const std::string ns_id = h->id;
  if (i.namespaces.count(ns_id) == 0) return i.Fail(errors::kErrorNotFoundHr, "namespace deleted", record);
  const std::string text = settings == nullptr ? std::string() : WideToUtf8(settings);
  i.last_modify_settings = text;
  const json doc = json::parse(text, nullptr, false);
  if (!doc.is_object() || doc.value("ResourceType", "") != kResourceTypeEndpoint || !doc.contains("Settings") ||
      !doc["Settings"].is_object() || !doc["Settings"].contains("EndpointId")) {
    return i.Fail(errors::kHcnEInvalidJson, "invalid modify request", record);
  }
  const std::string ep_id = Canon(doc["Settings"]["EndpointId"].get<std::string>());
  const std::string request = doc.value("RequestType", "");
  auto ep = i.endpoints.find(ep_id);
  if (request == "Add") {
    if (ep == i.endpoints.end()) return i.Fail(errors::kHcnEEndpointNotFound, "endpoint not found", record);
    if (!ep->second.namespace_id.empty()) {
      return i.Fail(errors::kHcnEEndpointAlreadyAttached, "endpoint already attached", record);
    }
    ep->second.namespace_id = ns_id;
    i.namespaces[ns_id].endpoints.push_back(ep_id);
    return 0;
  }
  if (request == "Remove") {
    const uint32_t r = i.Detach(ns_id, ep_id);
    return r == 0 ? 0 : i.Fail(r, "endpoint not in namespace", record);
  }
  return i.Fail(errors::kHcnEInvalidJson, "unknown RequestType " + request, record);
}

uint32_t QueryNamespace(HcnHandle handle, const wchar_t* query, wchar_t** props, wchar_t** record) {
  auto& i = I();
  std::lock_guard<std::mutex> lock(i.mu);
  uint32_t hr = 0;
  if (i.Injected(FakeHcnCall::kQueryNamespace, props, record, &hr)) return hr;
  const Handle* h = i.Lookup(handle, HandleKind::kNamespace);
  if (h == nullptr) return i.Fail(0x80070006, "invalid handle", record);
  if (!i.ValidQuery(query)) return i.Fail(errors::kHcnEInvalidJson, "invalid query", record);
  if (i.namespaces.count(h->id) == 0) return i.Fail(errors::kErrorNotFoundHr, "namespace deleted", record);
  *props = i.Dup(i.NamespaceDoc(h->id));
  return 0;
}

uint32_t DeleteNamespace(const HcnGuid* id, wchar_t** record) {
  auto& i = I();
  std::lock_guard<std::mutex> lock(i.mu);
  uint32_t hr = 0;
  if (i.Injected(FakeHcnCall::kDeleteNamespace, nullptr, record, &hr)) return hr;
  const std::string key = FormatGuid(*id);
  auto it = i.namespaces.find(key);
  if (it == i.namespaces.end()) return i.Fail(errors::kErrorNotFoundHr, "namespace not found", record);
  // HNS detaches whatever is left; the endpoints themselves survive (the leak).
  for (const std::string& ep : it->second.endpoints) {
    if (auto e = i.endpoints.find(ep); e != i.endpoints.end()) e->second.namespace_id.clear();
  }
  i.namespaces.erase(it);
  return 0;
}

uint32_t CloseNamespace(HcnHandle handle) {
  auto& i = I();
  std::lock_guard<std::mutex> lock(i.mu);
  return i.Close(handle, HandleKind::kNamespace);
}

uint32_t EnumerateEndpoints(const wchar_t* query, wchar_t** ids, wchar_t** record) {
  auto& i = I();
  std::lock_guard<std::mutex> lock(i.mu);
  return i.EnumerateIds(FakeHcnCall::kEnumerateEndpoints, i.endpoints, query, ids, record);
}

uint32_t OpenEndpoint(const HcnGuid* id, HcnHandle* handle, wchar_t** record) {
  auto& i = I();
  std::lock_guard<std::mutex> lock(i.mu);
  return i.Open(FakeHcnCall::kOpenEndpoint, i.endpoints, HandleKind::kEndpoint, errors::kHcnEEndpointNotFound, id,
                handle, record);
}

uint32_t QueryEndpoint(HcnHandle handle, const wchar_t* query, wchar_t** props, wchar_t** record) {
  auto& i = I();
  std::lock_guard<std::mutex> lock(i.mu);
  uint32_t hr = 0;
  if (i.Injected(FakeHcnCall::kQueryEndpoint, props, record, &hr)) return hr;
  const Handle* h = i.Lookup(handle, HandleKind::kEndpoint);
  if (h == nullptr) return i.Fail(0x80070006, "invalid handle", record);
  if (!i.ValidQuery(query)) return i.Fail(errors::kHcnEInvalidJson, "invalid query", record);
  if (i.endpoints.count(h->id) == 0) return i.Fail(errors::kHcnEEndpointNotFound, "endpoint deleted", record);
  *props = i.Dup(i.EndpointDoc(h->id));
  return 0;
}

uint32_t DeleteEndpoint(const HcnGuid* id, wchar_t** record) {
  auto& i = I();
  std::lock_guard<std::mutex> lock(i.mu);
  uint32_t hr = 0;
  if (i.Injected(FakeHcnCall::kDeleteEndpoint, nullptr, record, &hr)) return hr;
  const std::string key = FormatGuid(*id);
  auto it = i.endpoints.find(key);
  if (it == i.endpoints.end()) return i.Fail(errors::kHcnEEndpointNotFound, "endpoint not found", record);
  if (!it->second.namespace_id.empty()) (void)i.Detach(it->second.namespace_id, key);
  i.endpoints.erase(key);
  return 0;
}

uint32_t CloseEndpoint(HcnHandle handle) {
  auto& i = I();
  std::lock_guard<std::mutex> lock(i.mu);
  return i.Close(handle, HandleKind::kEndpoint);
}

uint32_t HnsCall(const wchar_t* method, const wchar_t* path, const wchar_t* request, wchar_t** response) {
  auto& i = I();
  std::lock_guard<std::mutex> lock(i.mu);
  constexpr uint32_t kEPointer = 0x80004003;
  if (method == nullptr || path == nullptr || request == nullptr || response == nullptr) return kEPointer;
  uint32_t hr = 0;
  if (i.Injected(FakeHcnCall::kHnsCall, response, nullptr, &hr)) return hr;
  const std::string m = WideToUtf8(method);
  const std::string p = WideToUtf8(path);
  const std::string prefix = "/endpointstats/";
  if (m != "GET" || p.compare(0, prefix.size(), prefix) != 0 || !WideToUtf8(request).empty()) {
    return errors::kENotImpl;
  }
  const std::string id = Canon(p.substr(prefix.size()));
  json envelope;
  if (i.endpoints.count(id) == 0) {
    envelope = {{"Success", false}, {"Error", "Element not found."}};
  } else {
    const EndpointStats c = i.endpoint_stats[id];
    envelope = {{"Success", true},
                {"Error", ""},
                {"Output",
                 {{"BytesReceived", c.bytes_received},
                  {"BytesSent", c.bytes_sent},
                  {"PacketsReceived", c.packets_received},
                  {"PacketsSent", c.packets_sent},
                  {"DroppedPacketsIncoming", c.dropped_packets_incoming},
                  {"DroppedPacketsOutgoing", c.dropped_packets_outgoing},
                  {"EndpointId", Upper(id)},
                  {"InstanceId", Upper(id)}}}};
  }
  *response = i.Dup(envelope.dump());
  return 0;
}

void FreeString(wchar_t* s) {
  if (s == nullptr) return;
  auto& i = I();
  std::lock_guard<std::mutex> lock(i.mu);
  --i.strings;
  delete[] s;
}

}  // namespace

FakeHcn::FakeHcn() : impl_(std::make_unique<Impl>()) {
  Impl* expected = nullptr;
  if (!g_impl.compare_exchange_strong(expected, impl_.get())) std::abort();  // one FakeHcn at a time
  api_.enumerate_networks = &EnumerateNetworks;
  api_.open_network = &OpenNetwork;
  api_.query_network_properties = &QueryNetwork;
  api_.close_network = &CloseNetwork;
  api_.enumerate_namespaces = &EnumerateNamespaces;
  api_.create_namespace = &CreateNamespace;
  api_.open_namespace = &OpenNamespace;
  api_.modify_namespace = &ModifyNamespace;
  api_.query_namespace_properties = &QueryNamespace;
  api_.delete_namespace = &DeleteNamespace;
  api_.close_namespace = &CloseNamespace;
  api_.enumerate_endpoints = &EnumerateEndpoints;
  api_.open_endpoint = &OpenEndpoint;
  api_.query_endpoint_properties = &QueryEndpoint;
  api_.delete_endpoint = &DeleteEndpoint;
  api_.close_endpoint = &CloseEndpoint;
  api_.hns_call = &HnsCall;
  api_.free_string = &FreeString;
}

FakeHcn::~FakeHcn() { g_impl.store(nullptr); }

void FakeHcn::Inject(FakeHcnInjection injection) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->injections.push_back(std::move(injection));
}

std::string FakeHcn::AddNetwork(const std::string& name, const std::string& type) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const std::string id = impl_->NewId();
  impl_->networks[id] = HostComputeNetwork{id, name, type};
  return id;
}

std::string FakeHcn::AddNamespace(const std::string& type) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const std::string id = impl_->NewId();
  FakeNamespace ns;
  ns.type = type;
  ns.compartment = type == kNamespaceTypeHostDefault ? 1 : impl_->next_compartment++;
  impl_->namespaces[id] = ns;
  return id;
}

std::string FakeHcn::AddEndpoint(const std::string& network_id, const std::string& name, const std::string& ip,
                                 uint32_t prefix_length, const std::string& namespace_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const std::string id = impl_->NewId();
  HostComputeEndpoint ep;
  ep.id = id;
  ep.name = name;
  ep.network_id = Canon(network_id);
  ep.ip_configurations.push_back({ip, prefix_length});
  ep.mac_address = "00-15-5D-00-00-01";
  const std::string ns = Canon(namespace_id);
  if (!ns.empty() && impl_->namespaces.count(ns) != 0) {
    ep.namespace_id = ns;
    impl_->namespaces[ns].endpoints.push_back(id);
  }
  impl_->endpoints[id] = ep;
  return id;
}

std::string FakeHcn::AddDanglingEndpoint(const std::string& network_id, const std::string& namespace_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const std::string id = impl_->NewId();
  HostComputeEndpoint ep;
  ep.id = id;
  ep.name = "dangling";
  ep.network_id = Canon(network_id);
  ep.namespace_id = Canon(namespace_id);
  impl_->endpoints[id] = ep;
  return id;
}

bool FakeHcn::NamespaceExists(const std::string& id) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->namespaces.count(Canon(id)) != 0;
}

bool FakeHcn::EndpointExists(const std::string& id) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->endpoints.count(Canon(id)) != 0;
}

std::vector<std::string> FakeHcn::NamespaceIds() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<std::string> ids;
  for (const auto& [id, unused] : impl_->namespaces) ids.push_back(id);
  return ids;
}

std::vector<std::string> FakeHcn::NamespaceEndpoints(const std::string& id) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->namespaces.find(Canon(id));
  return it == impl_->namespaces.end() ? std::vector<std::string>() : it->second.endpoints;
}

void FakeHcn::SetEndpointStats(const std::string& endpoint_id, const EndpointStats& counters) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->endpoint_stats[Canon(endpoint_id)] = counters;
}

void FakeHcn::RemoveEndpointBehindOurBack(const std::string& endpoint_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->endpoints.erase(Canon(endpoint_id));
}

void FakeHcn::set_ignore_requested_namespace_ids(bool ignore) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->ignore_requested_namespace_ids = ignore;
}

std::string FakeHcn::LastCreateSettings() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->last_create_settings;
}

std::string FakeHcn::LastModifySettings() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->last_modify_settings;
}

int FakeHcn::open_handles() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return static_cast<int>(impl_->handles.size());
}

int FakeHcn::outstanding_strings() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->strings;
}

int FakeHcn::calls(FakeHcnCall call) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->call_counts.find(call);
  return it == impl_->call_counts.end() ? 0 : it->second;
}

}  // namespace silo::network::hns::fake
