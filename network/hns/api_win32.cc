// Windows only (built by the mingw project): binds HcnApi to computenetwork.dll.
#include "network/hns/api_win32.h"

#include "runtime/base/windows/dll_binding.h"

#include <windows.h>
#include <objbase.h>
#include <computenetwork.h>

#include <cstddef>
#include <string>
#include <type_traits>

namespace silo::network::hns {
namespace {

static_assert(sizeof(wchar_t) == sizeof(WCHAR));
static_assert(sizeof(HcnGuid) == sizeof(GUID));
static_assert(offsetof(HcnGuid, data2) == offsetof(GUID, Data2));
static_assert(offsetof(HcnGuid, data3) == offsetof(GUID, Data3));
static_assert(offsetof(HcnGuid, data4) == offsetof(GUID, Data4));

using silo::win32::dll::Bind;
using silo::win32::dll::SameShape;

#define SILO_BIND(field, export_name)                                                   \
  static_assert(SameShape<decltype(HcnApi::field), decltype(&::export_name)>::value,   \
                #export_name " does not match HcnApi::" #field);                        \
  if (!Bind(dll, #export_name, api->field)) {                                           \
    if (!missing.empty()) missing += ", ";                                              \
    missing += #export_name;                                                            \
  }

// HNSCall is in no SDK header: hcsshim's declaration (hcn/hcn.go,
// internal/hns/hns.go) is HRESULT HNSCall(PCWSTR method, PCWSTR path,
// PCWSTR object, PWSTR* response).
using HnsCallFn = HRESULT(WINAPI*)(LPCWSTR, LPCWSTR, LPCWSTR, LPWSTR*);
static_assert(SameShape<decltype(HcnApi::hns_call), HnsCallFn>::value, "HNSCall does not match HcnApi::hns_call");

// HCN and HNSCall allocate returned strings with CoTaskMemAlloc (hcsshim frees them with CoTaskMemFree).
void FreeString(wchar_t* s) { CoTaskMemFree(s); }

Result<const HcnApi*> Load() {
  Result<HMODULE> loaded = win32::dll::LoadSystemDll(L"computenetwork.dll", "computenetwork.dll");
  if (!loaded.ok()) return loaded.status();
  HMODULE dll = *loaded;
  auto* api = new HcnApi();  // lives as long as the process, like the DLL
  std::string missing;
  SILO_BIND(enumerate_networks, HcnEnumerateNetworks)
  SILO_BIND(open_network, HcnOpenNetwork)
  SILO_BIND(query_network_properties, HcnQueryNetworkProperties)
  SILO_BIND(close_network, HcnCloseNetwork)
  SILO_BIND(enumerate_namespaces, HcnEnumerateNamespaces)
  SILO_BIND(create_namespace, HcnCreateNamespace)
  SILO_BIND(open_namespace, HcnOpenNamespace)
  SILO_BIND(modify_namespace, HcnModifyNamespace)
  SILO_BIND(query_namespace_properties, HcnQueryNamespaceProperties)
  SILO_BIND(delete_namespace, HcnDeleteNamespace)
  SILO_BIND(close_namespace, HcnCloseNamespace)
  SILO_BIND(enumerate_endpoints, HcnEnumerateEndpoints)
  SILO_BIND(open_endpoint, HcnOpenEndpoint)
  SILO_BIND(query_endpoint_properties, HcnQueryEndpointProperties)
  SILO_BIND(delete_endpoint, HcnDeleteEndpoint)
  SILO_BIND(close_endpoint, HcnCloseEndpoint)
  // HNSCall is optional: only endpoint statistics need it, and HCN works without.
  if (Result<HMODULE> vmcompute = win32::dll::LoadSystemDll(L"vmcompute.dll", "vmcompute.dll");
      vmcompute.ok()) {
    (void)Bind(*vmcompute, "HNSCall", api->hns_call);
  }
  if (!missing.empty()) {
    delete api;
    return HrStatus(static_cast<uint32_t>(HRESULT_FROM_WIN32(ERROR_PROC_NOT_FOUND)),
                    "computenetwork.dll lacks " + missing);
  }
  api->free_string = &FreeString;
  return static_cast<const HcnApi*>(api);
}

#undef SILO_BIND

}  // namespace

Result<const HcnApi*> LoadHcnApi() {
  static const Result<const HcnApi*> loaded = Load();  // thread-safe one-time init
  return loaded;
}

}  // namespace silo::network::hns
