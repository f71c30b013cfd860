#include "network/hns/schema.h"

#include <exception>

#include "network/hns/errors.h"
#include "network/hns/guid.h"
#include "nlohmann/json.hpp"

namespace silo::network::hns {

using nlohmann::json;
using silo::win32::HrStatus;

namespace {

json VersionJson(const SchemaVersion& v) { return json{{"Major", v.major}, {"Minor", v.minor}}; }

// Returns the value under `name` (or its Go-style case variant), or null.
const json* Field(const json& obj, const char* name, const char* alt = nullptr) {
  if (auto it = obj.find(name); it != obj.end() && !it->is_null()) return &*it;
  if (alt != nullptr) {
    if (auto it = obj.find(alt); it != obj.end() && !it->is_null()) return &*it;
  }
  return nullptr;
}

std::string String(const json& obj, const char* name, const char* alt = nullptr) {
  const json* v = Field(obj, name, alt);
  return v == nullptr ? std::string() : v->get<std::string>();
}

// A GUID field, canonicalised; text that is not a GUID is kept as is.
std::string Id(const json& obj, const char* name, const char* alt = nullptr) {
  std::string s = String(obj, name, alt);
  if (std::optional<std::string> c = CanonicalGuid(s)) return *c;
  return s;
}

std::vector<std::string> Strings(const json& obj, const char* name) {
  const json* v = Field(obj, name);
  return v == nullptr ? std::vector<std::string>() : v->get<std::vector<std::string>>();
}

HrStatus ParseError(const char* what, const std::exception& e) {
  return HrStatus(errors::kEUnexpected, std::string("parse ") + what + " from HNS: " + e.what());
}

json ParseObject(std::string_view text) {
  json doc = json::parse(text);
  if (!doc.is_object()) throw std::invalid_argument("not a JSON object");
  return doc;
}

}  // namespace

std::vector<std::string> HostComputeNamespace::EndpointIds() const {
  std::vector<std::string> ids;
  for (const NamespaceResource& r : resources) {
    if (r.type == kResourceTypeEndpoint) ids.push_back(r.id);
  }
  return ids;
}

std::string NamespaceSettingsJson(const HostComputeNamespace& ns) {
  json doc = json::object();
  if (!ns.type.empty()) doc["Type"] = ns.type;
  doc["SchemaVersion"] = VersionJson(ns.schema_version);
  return doc.dump();
}

std::string NamespaceToJson(const HostComputeNamespace& ns) {
  json doc = json::object();
  if (!ns.id.empty()) doc["ID"] = ns.id;
  if (ns.namespace_id != 0) doc["NamespaceId"] = ns.namespace_id;
  if (!ns.type.empty()) doc["Type"] = ns.type;
  if (!ns.resources.empty()) {
    json resources = json::array();
    for (const NamespaceResource& r : ns.resources) {
      resources.push_back({{"Type", r.type}, {"Data", {{"ID", r.id}}}});
    }
    doc["Resources"] = resources;
  }
  doc["SchemaVersion"] = VersionJson(ns.schema_version);
  return doc.dump();
}

std::string EndpointToJson(const HostComputeEndpoint& ep) {
  json doc = json::object();
  if (!ep.id.empty()) doc["ID"] = ep.id;
  if (!ep.name.empty()) doc["Name"] = ep.name;
  if (!ep.network_id.empty()) doc["HostComputeNetwork"] = ep.network_id;
  if (!ep.namespace_id.empty()) doc["HostComputeNamespace"] = ep.namespace_id;
  if (!ep.ip_configurations.empty()) {
    json ips = json::array();
    for (const IpConfiguration& ip : ep.ip_configurations) {
      ips.push_back({{"IpAddress", ip.ip_address}, {"PrefixLength", ip.prefix_length}});
    }
    doc["IpConfigurations"] = ips;
  }
  const Dns& d = ep.dns;
  if (!d.domain.empty() || !d.search.empty() || !d.server_list.empty() || !d.options.empty()) {
    json dns = json::object();
    if (!d.domain.empty()) dns["Domain"] = d.domain;
    if (!d.search.empty()) dns["Search"] = d.search;
    if (!d.server_list.empty()) dns["ServerList"] = d.server_list;
    if (!d.options.empty()) dns["Options"] = d.options;
    doc["Dns"] = dns;
  }
  if (!ep.mac_address.empty()) doc["MacAddress"] = ep.mac_address;
  doc["SchemaVersion"] = VersionJson(SchemaVersion{});
  return doc.dump();
}

std::string NetworkToJson(const HostComputeNetwork& net) {
  json doc = json::object();
  if (!net.id.empty()) doc["ID"] = net.id;
  if (!net.name.empty()) doc["Name"] = net.name;
  if (!net.type.empty()) doc["Type"] = net.type;
  doc["SchemaVersion"] = VersionJson(SchemaVersion{});
  return doc.dump();
}

Result<HostComputeNamespace> ParseNamespace(std::string_view text) {
  try {
    const json doc = ParseObject(text);
    HostComputeNamespace ns;
    ns.id = Id(doc, "ID", "Id");
    if (const json* v = Field(doc, "NamespaceId")) ns.namespace_id = v->get<uint32_t>();
    ns.type = String(doc, "Type");
    if (const json* resources = Field(doc, "Resources")) {
      for (const json& r : *resources) {
        NamespaceResource res;
        res.type = String(r, "Type");
        if (const json* data = Field(r, "Data")) {
          // hcsshim keeps Data raw; HNS may also hand it over as a JSON string.
          const json parsed = data->is_string() ? json::parse(data->get<std::string>()) : *data;
          res.id = Id(parsed, "ID", "Id");
        }
        ns.resources.push_back(std::move(res));
      }
    }
    if (const json* v = Field(doc, "SchemaVersion")) {
      ns.schema_version.major = v->value("Major", 0u);
      ns.schema_version.minor = v->value("Minor", 0u);
    }
    return ns;
  } catch (const std::exception& e) {
    return ParseError("HostComputeNamespace", e);
  }
}

Result<HostComputeEndpoint> ParseEndpoint(std::string_view text) {
  try {
    const json doc = ParseObject(text);
    HostComputeEndpoint ep;
    ep.id = Id(doc, "ID", "Id");
    ep.name = String(doc, "Name");
    ep.network_id = Id(doc, "HostComputeNetwork");
    ep.namespace_id = Id(doc, "HostComputeNamespace");
    if (const json* ips = Field(doc, "IpConfigurations")) {
      for (const json& ip : *ips) {
        IpConfiguration c;
        c.ip_address = String(ip, "IpAddress");
        if (const json* p = Field(ip, "PrefixLength")) c.prefix_length = p->get<uint32_t>();
        ep.ip_configurations.push_back(std::move(c));
      }
    }
    if (const json* dns = Field(doc, "Dns")) {
      ep.dns.domain = String(*dns, "Domain");
      ep.dns.search = Strings(*dns, "Search");
      ep.dns.server_list = Strings(*dns, "ServerList");
      ep.dns.options = Strings(*dns, "Options");
    }
    ep.mac_address = String(doc, "MacAddress");
    return ep;
  } catch (const std::exception& e) {
    return ParseError("HostComputeEndpoint", e);
  }
}

Result<HostComputeNetwork> ParseNetwork(std::string_view text) {
  try {
    const json doc = ParseObject(text);
    HostComputeNetwork net;
    net.id = Id(doc, "ID", "Id");
    net.name = String(doc, "Name");
    net.type = String(doc, "Type");
    return net;
  } catch (const std::exception& e) {
    return ParseError("HostComputeNetwork", e);
  }
}

Result<std::vector<std::string>> ParseIdList(std::string_view text) {
  std::vector<std::string> ids;
  if (text.empty()) return ids;
  try {
    const json doc = json::parse(text);
    if (doc.is_null()) return ids;
    if (!doc.is_array()) throw std::invalid_argument("not a JSON array");
    for (const json& v : doc) {
      const std::string s = v.get<std::string>();
      std::optional<std::string> id = CanonicalGuid(s);
      if (!id) throw std::invalid_argument("\"" + s + "\" is not a GUID");
      ids.push_back(std::move(*id));
    }
    return ids;
  } catch (const std::exception& e) {
    return ParseError("id list", e);
  }
}

std::string QueryJson(std::string_view id, bool detailed) {
  json doc = {{"SchemaVersion", VersionJson(SchemaVersion{})}, {"Flags", detailed ? 1 : 0}};
  if (!id.empty()) doc["Filter"] = json{{"ID", std::string(id)}}.dump();
  return doc.dump();
}

std::string ModifyNamespaceEndpointJson(std::string_view request_type, std::string_view endpoint_id) {
  return json{{"ResourceType", kResourceTypeEndpoint},
              {"RequestType", std::string(request_type)},
              {"Settings", {{"EndpointId", std::string(endpoint_id)}}}}
      .dump();
}

}  // namespace silo::network::hns
