#pragma once
// The HRESULT values and predicates the Win32 wrapper layers need, with no
// dependency beyond the standard library so mingw-w64 builds (no Abseil) can
// use them. Same values and rules as runtime/windows/hresult.h (hcsshim
// internal/hcs/errors.go, internal/hcs/v2/errors.go, HCSHResult.md); they live
// in the nested namespace `codes`; hresult.h takes its shared values from here.
//
// Predicates normalise first: 0x8007xxxx (FACILITY_WIN32) compares as the
// bare Win32 code xxxx, and vmcompute's 0xC037xxxx as its 0x8037xxxx twin.
// Everything is constexpr, pure and thread-safe.

#include <cstdint>

namespace silo::runtime::windows::codes {

inline constexpr uint32_t kSOk = 0;
inline constexpr uint32_t kErrorAccessDenied = 0x5;
inline constexpr uint32_t kErrorInvalidHandle = 0x6;
inline constexpr uint32_t kErrorNotSupported = 0x32;
inline constexpr uint32_t kErrorProcNotFound = 0x7F;
inline constexpr uint32_t kErrorNotFound = 0x490;
inline constexpr uint32_t kEAccessDenied = 0x80070005;
inline constexpr uint32_t kEInvalidArg = 0x80070057;
inline constexpr uint32_t kEOutOfMemory = 0x8007000E;
inline constexpr uint32_t kEFail = 0x80004005;

inline constexpr uint32_t kHcsEInvalidState = 0x80370105;
inline constexpr uint32_t kHcsEUnexpectedExit = 0x80370106;
inline constexpr uint32_t kHcsETerminated = 0x80370107;
inline constexpr uint32_t kHcsEConnectionClosed = 0x8037010A;
inline constexpr uint32_t kHcsEUnknownMessage = 0x8037010B;
inline constexpr uint32_t kHcsEInvalidJson = 0x8037010D;
inline constexpr uint32_t kHcsESystemNotFound = 0x8037010E;
inline constexpr uint32_t kHcsESystemAlreadyExists = 0x8037010F;
inline constexpr uint32_t kHcsESystemAlreadyStopped = 0x80370110;
inline constexpr uint32_t kHcsEOperationPending = 0x80370117;
inline constexpr uint32_t kHcsEOperationTimeout = 0x80370118;
inline constexpr uint32_t kHcsEOperationSystemCallbackAlreadySet = 0x80370119;
inline constexpr uint32_t kHcsEAccessDenied = 0x8037011B;
inline constexpr uint32_t kHcsEServiceDisconnect = 0x8037011E;
inline constexpr uint32_t kHcsEProcessAlreadyStopped = 0x8037011F;
inline constexpr uint32_t kVmcomputeOperationPending = 0xC0370103;

constexpr bool Succeeded(uint32_t hr) { return (hr & 0x80000000u) == 0; }
constexpr bool Failed(uint32_t hr) { return !Succeeded(hr); }

constexpr uint32_t Normalize(uint32_t hr) {
  if ((hr & 0xFFFF0000u) == 0x80070000u) return hr & 0xFFFFu;
  if ((hr & 0xFFFF0000u) == 0xC0370000u && hr != kVmcomputeOperationPending) {
    return (hr & 0x0000FFFFu) | 0x80370000u;
  }
  return hr;
}

constexpr bool IsNotExist(uint32_t hr) {
  const uint32_t n = Normalize(hr);
  return n == kHcsESystemNotFound || n == kErrorNotFound;
}
constexpr bool IsAlreadyStopped(uint32_t hr) {
  const uint32_t n = Normalize(hr);
  return n == kHcsESystemAlreadyStopped || n == kHcsEProcessAlreadyStopped || n == kErrorNotFound;
}
constexpr bool IsPending(uint32_t hr) {
  return hr == kVmcomputeOperationPending || Normalize(hr) == kHcsEOperationPending;
}
constexpr bool IsAccessDenied(uint32_t hr) {
  const uint32_t n = Normalize(hr);
  return n == kHcsEAccessDenied || n == kErrorAccessDenied;
}
constexpr bool IsTimeout(uint32_t hr) { return Normalize(hr) == kHcsEOperationTimeout; }
// For a signal, "invalid state" means the signal was not delivered.
constexpr bool IsInvalidState(uint32_t hr) { return Normalize(hr) == kHcsEInvalidState; }

}  // namespace silo::runtime::windows::codes
