#pragma once
// Named HCN/HNS HRESULTs and predicates, standard library only (mingw builds
// have no Abseil). Values: hcsshim hcn/hcnerrors.go, x/sys/windows zerrors,
// the HNS error table. HCN reports a missing namespace or endpoint either as
// its own HCN_E_*_NOT_FOUND or as ERROR_NOT_FOUND (0x80070490), which
// hcsshim calls ErrElementNotFound; predicates accept both forms, and the
// bare Win32 code. constexpr, pure and thread-safe.

#include <cstdint>

namespace silo::network::hns::errors {

inline constexpr uint32_t kSOk = 0;
inline constexpr uint32_t kEFail = 0x80004005;
inline constexpr uint32_t kEUnexpected = 0x8000FFFF;  // a document from HNS we cannot parse
inline constexpr uint32_t kENotImpl = 0x80004001;
inline constexpr uint32_t kEInvalidArg = 0x80070057;
inline constexpr uint32_t kEAccessDenied = 0x80070005;
inline constexpr uint32_t kErrorNotFoundHr = 0x80070490;       // HRESULT_FROM_WIN32(ERROR_NOT_FOUND)
inline constexpr uint32_t kErrorFileNotFoundHr = 0x80070002;   // HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)
inline constexpr uint32_t kErrorAlreadyExistsHr = 0x800700B7;  // HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS)
inline constexpr uint32_t kErrorModNotFoundHr = 0x8007007E;    // HRESULT_FROM_WIN32(ERROR_MOD_NOT_FOUND)
inline constexpr uint32_t kErrorProcNotFoundHr = 0x8007007F;   // HRESULT_FROM_WIN32(ERROR_PROC_NOT_FOUND)

inline constexpr uint32_t kHcnENetworkNotFound = 0x803B0001;
inline constexpr uint32_t kHcnEEndpointNotFound = 0x803B0002;
inline constexpr uint32_t kHcnEInvalidEndpoint = 0x803B000C;
inline constexpr uint32_t kHcnEPortAlreadyExists = 0x803B0013;
inline constexpr uint32_t kHcnEEndpointAlreadyAttached = 0x803B0014;
inline constexpr uint32_t kHcnEInvalidJson = 0x803B001B;

constexpr bool Succeeded(uint32_t hr) { return (hr & 0x80000000u) == 0; }
constexpr bool Failed(uint32_t hr) { return !Succeeded(hr); }

// 0x8007xxxx (FACILITY_WIN32) -> HRESULT form of a bare Win32 code xxxx.
constexpr uint32_t Normalize(uint32_t hr) {
  if (hr != 0 && hr <= 0xFFFFu) return 0x80070000u | hr;  // a bare Win32 error code
  return hr;
}

constexpr bool IsNotFound(uint32_t hr) {
  const uint32_t n = Normalize(hr);
  return n == kErrorNotFoundHr || n == kErrorFileNotFoundHr || n == kHcnENetworkNotFound ||
         n == kHcnEEndpointNotFound;
}
constexpr bool IsAlreadyExists(uint32_t hr) {
  const uint32_t n = Normalize(hr);
  return n == kErrorAlreadyExistsHr || n == kHcnEPortAlreadyExists || n == kHcnEEndpointAlreadyAttached;
}
constexpr bool IsAccessDenied(uint32_t hr) { return Normalize(hr) == kEAccessDenied; }
constexpr bool IsInvalidJson(uint32_t hr) { return Normalize(hr) == kHcnEInvalidJson; }
// The host lacks HCN (no Containers feature) or this export.
constexpr bool IsUnsupported(uint32_t hr) {
  const uint32_t n = Normalize(hr);
  return n == kENotImpl || n == kErrorModNotFoundHr || n == kErrorProcNotFoundHr;
}

// "HCN_E_ENDPOINT_NOT_FOUND" etc., or nullptr for codes without a name here.
constexpr const char* Name(uint32_t hr) {
  switch (Normalize(hr)) {
    case kSOk: return "S_OK";
    case kEFail: return "E_FAIL";
    case kEUnexpected: return "E_UNEXPECTED";
    case kENotImpl: return "E_NOTIMPL";
    case kEInvalidArg: return "E_INVALIDARG";
    case kEAccessDenied: return "E_ACCESSDENIED";
    case kErrorNotFoundHr: return "ERROR_NOT_FOUND";
    case kErrorFileNotFoundHr: return "ERROR_FILE_NOT_FOUND";
    case kErrorAlreadyExistsHr: return "ERROR_ALREADY_EXISTS";
    case kErrorModNotFoundHr: return "ERROR_MOD_NOT_FOUND";
    case kErrorProcNotFoundHr: return "ERROR_PROC_NOT_FOUND";
    case kHcnENetworkNotFound: return "HCN_E_NETWORK_NOT_FOUND";
    case kHcnEEndpointNotFound: return "HCN_E_ENDPOINT_NOT_FOUND";
    case kHcnEInvalidEndpoint: return "HCN_E_INVALID_ENDPOINT";
    case kHcnEPortAlreadyExists: return "HCN_E_PORT_ALREADY_EXISTS";
    case kHcnEEndpointAlreadyAttached: return "HCN_E_ENDPOINT_ALREADY_ATTACHED";
    case kHcnEInvalidJson: return "HCN_E_INVALID_JSON";
    default: return nullptr;
  }
}

}  // namespace silo::network::hns::errors
