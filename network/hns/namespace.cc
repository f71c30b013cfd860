#include "network/hns/namespace.h"

#include "network/hns/guid.h"
#include "network/hns/handle.h"
#include "runtime/base/windows/wide.h"

namespace silo::network::hns {
namespace {

using internal::Kind;
using internal::ScopedHcnHandle;
using silo::win32::Utf8ToWide;

constexpr Kind kNamespace = {"namespace", "HcnOpenNamespace", "HcnQueryNamespaceProperties",
                             "HcnEnumerateNamespaces", "HcnDeleteNamespace"};

Result<HostComputeNamespace> Parse(std::string_view id, const std::string& doc) {
  Result<HostComputeNamespace> ns = ParseNamespace(doc);
  if (!ns.ok()) return HrStatus(ns.status().hr(), "namespace " + std::string(id) + ": " + ns.status().message());
  return ns;
}

HrStatus ModifyEndpoint(const HcnApi& api, std::string_view request, std::string_view namespace_id,
                        std::string_view endpoint_id) {
  Result<HcnGuid> guid = internal::ParseId("namespace", namespace_id);
  if (!guid.ok()) return guid.status();
  if (!ParseGuid(endpoint_id)) {
    return HrStatus(errors::kEInvalidArg, "invalid endpoint id \"" + std::string(endpoint_id) + "\"");
  }
  const std::string object = std::string(namespace_id) + " " + std::string(request) + " endpoint " +
                             std::string(endpoint_id);
  ScopedHcnHandle handle(api.close_namespace);
  HcnString record(api);
  if (HrStatus s = CheckHcnCall("HcnOpenNamespace", namespace_id, api.open_namespace(&*guid, handle.out(), record.out()),
                                record);
      !s.ok()) {
    return s;
  }
  const std::wstring settings = Utf8ToWide(ModifyNamespaceEndpointJson(request, endpoint_id));
  return CheckHcnCall("HcnModifyNamespace", object, api.modify_namespace(handle.get(), settings.c_str(), record.out()),
                      record);
}

}  // namespace

Result<HostComputeNamespace> CreateNamespace(const HcnApi& api, const HcnGuid& id, std::string_view type) {
  HostComputeNamespace request;
  request.type = std::string(type);
  const std::wstring settings = Utf8ToWide(NamespaceSettingsJson(request));
  const std::string asked = IsZeroGuid(id) ? std::string() : FormatGuid(id);
  ScopedHcnHandle handle(api.close_namespace);
  HcnString record(api);
  if (HrStatus s = CheckHcnCall("HcnCreateNamespace", asked,
                                api.create_namespace(&id, settings.c_str(), handle.out(), record.out()), record);
      !s.ok()) {
    return s;
  }
  HcnString props(api);
  const std::wstring query = Utf8ToWide(QueryJson());
  if (HrStatus s = CheckHcnCall("HcnQueryNamespaceProperties", "(new namespace)",
                                api.query_namespace_properties(handle.get(), query.c_str(), props.out(), record.out()),
                                record);
      !s.ok()) {
    // The namespace exists but we cannot learn its id, so it cannot be deleted by id here;
    // Reconcile removes it later as unowned.
    return s;
  }
  Result<HostComputeNamespace> ns = Parse("(new)", props.Utf8());
  if (ns.ok() && !ParseGuid(ns->id)) {
    return HrStatus(errors::kEUnexpected, "HcnCreateNamespace: HNS returned no namespace id");
  }
  if (ns.ok() && !asked.empty() && CanonicalGuid(ns->id) != asked) {
    (void)DeleteNamespace(api, ns->id);
    return HrStatus(errors::kEUnexpected, "HcnCreateNamespace: asked for namespace " + asked + ", HNS created " +
                                              ns->id + " (deleted again)");
  }
  return ns;
}

Result<HostComputeNamespace> GetNamespace(const HcnApi& api, std::string_view id) {
  Result<std::string> doc = internal::OpenAndQuery(api, kNamespace, id, api.open_namespace,
                                                   api.query_namespace_properties, api.close_namespace);
  if (!doc.ok()) return doc.status();
  return Parse(id, *doc);
}

Result<std::vector<std::string>> EnumerateNamespaces(const HcnApi& api) {
  return internal::Enumerate(api, kNamespace, api.enumerate_namespaces);
}

Result<std::vector<std::string>> NamespaceEndpointIds(const HcnApi& api, std::string_view id) {
  Result<HostComputeNamespace> ns = GetNamespace(api, id);
  if (!ns.ok()) return ns.status();
  return ns->EndpointIds();
}

HrStatus AddNamespaceEndpoint(const HcnApi& api, std::string_view namespace_id, std::string_view endpoint_id) {
  return ModifyEndpoint(api, "Add", namespace_id, endpoint_id);
}

HrStatus RemoveNamespaceEndpoint(const HcnApi& api, std::string_view namespace_id, std::string_view endpoint_id) {
  return ModifyEndpoint(api, "Remove", namespace_id, endpoint_id);
}

HrStatus DeleteNamespace(const HcnApi& api, std::string_view id) {
  return internal::Delete(api, kNamespace, id, api.delete_namespace);
}

}  // namespace silo::network::hns
