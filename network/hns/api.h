#pragma once
// HcnApi: the computenetwork.dll (HNS v2) entry points Silo uses, as a table
// of plain function pointers. Only api_win32.cc (LoadLibrary + GetProcAddress)
// knows Win32; tests fill the table with network/hns/fake. Types are plain so
// this header compiles on Linux: handles are void*, strings are UTF-16
// `const wchar_t*` on Windows (UTF-32 in the Linux fake, never passed to
// Windows), HRESULTs uint32_t, and REFGUID is `const HcnGuid*` (a C++
// reference is a pointer in the x64 ABI; api_win32.cc checks the shapes).
//
// Every call is synchronous. Strings returned through wchar_t** (properties,
// enumerations, error records) belong to the caller and are released with
// free_string (CoTaskMemFree on Windows). An error record may be returned
// even when the HRESULT is S_OK; callers must treat it as a failure (see
// check.h). The table is immutable after loading and safe to share between
// threads; handles are not.

#include <cstdint>

namespace silo::network::hns {

using HcnHandle = void*;  // HCN_NETWORK, HCN_NAMESPACE, HCN_ENDPOINT

// Layout of GUID: {DWORD Data1; WORD Data2; WORD Data3; BYTE Data4[8]}.
struct HcnGuid {
  uint32_t data1 = 0;
  uint16_t data2 = 0;
  uint16_t data3 = 0;
  uint8_t data4[8] = {};
};

struct HcnApi {
  // Networks.
  uint32_t (*enumerate_networks)(const wchar_t* query, wchar_t** networks, wchar_t** error_record);
  uint32_t (*open_network)(const HcnGuid* id, HcnHandle* network, wchar_t** error_record);
  uint32_t (*query_network_properties)(HcnHandle network, const wchar_t* query, wchar_t** properties,
                                       wchar_t** error_record);
  uint32_t (*close_network)(HcnHandle network);

  // Namespaces.
  uint32_t (*enumerate_namespaces)(const wchar_t* query, wchar_t** namespaces, wchar_t** error_record);
  uint32_t (*create_namespace)(const HcnGuid* id, const wchar_t* settings, HcnHandle* ns,
                               wchar_t** error_record);
  uint32_t (*open_namespace)(const HcnGuid* id, HcnHandle* ns, wchar_t** error_record);
  uint32_t (*modify_namespace)(HcnHandle ns, const wchar_t* settings, wchar_t** error_record);
  uint32_t (*query_namespace_properties)(HcnHandle ns, const wchar_t* query, wchar_t** properties,
                                         wchar_t** error_record);
  uint32_t (*delete_namespace)(const HcnGuid* id, wchar_t** error_record);
  uint32_t (*close_namespace)(HcnHandle ns);

  // Endpoints.
  uint32_t (*enumerate_endpoints)(const wchar_t* query, wchar_t** endpoints, wchar_t** error_record);
  uint32_t (*open_endpoint)(const HcnGuid* id, HcnHandle* endpoint, wchar_t** error_record);
  uint32_t (*query_endpoint_properties)(HcnHandle endpoint, const wchar_t* query, wchar_t** properties,
                                        wchar_t** error_record);
  uint32_t (*delete_endpoint)(const HcnGuid* id, wchar_t** error_record);
  uint32_t (*close_endpoint)(HcnHandle endpoint);

  // HNS v1 (vmcompute.dll HNSCall), for what HCN v2 cannot read: endpoint
  // statistics (method "GET", path "/endpointstats/<id>", request "", as
  // hcsshim's GetHNSEndpointStats). *response receives a JSON envelope
  // {"Success":bool,"Error":"...","Output":{...}} owned by the caller
  // (free_string). Optional: null when the host's vmcompute.dll lacks it.
  uint32_t (*hns_call)(const wchar_t* method, const wchar_t* path, const wchar_t* request, wchar_t** response);

  // Releases a string HCN or HNSCall returned (CoTaskMemFree on Windows).
  void (*free_string)(wchar_t* string);
};

}  // namespace silo::network::hns
