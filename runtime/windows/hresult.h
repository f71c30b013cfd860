#pragma once
// Named HRESULTs returned by HCS (computecore.dll, and vmcompute.dll's
// 0xC037xxxx forms) and the Win32 codes hcsshim treats specially, with the
// predicates callers use instead of raw comparisons. Values are from
// hcsshim internal/hcs/errors.go, internal/hcs/v2/errors.go and the HCS
// reference (HCSHResult.md); mingw's winerror.h has none of the HCS_E_*.
//
// Plain uint32_t, no <windows.h>: this file builds and is tested on Linux.
// Values shared with the absl-free hresult_codes.h are taken from it, so the
// two headers cannot disagree.
// Predicates normalise first: 0x8007xxxx (FACILITY_WIN32) compares as the
// bare Win32 code xxxx, as hcsshim does, and 0xC037xxxx compares as 0x8037xxxx.
// All functions are pure and thread-safe.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "runtime/base/windows/result.h"
#include "runtime/windows/hresult_codes.h"

namespace silo::runtime::windows {

using HResult = uint32_t;

inline constexpr HResult kSOk = codes::kSOk;
inline constexpr HResult kSFalse = 1;

// Win32 codes (bare, as hcsshim compares them) and their HRESULT forms.
inline constexpr HResult kErrorAccessDenied = codes::kErrorAccessDenied;       // ERROR_ACCESS_DENIED
inline constexpr HResult kErrorInvalidHandle = codes::kErrorInvalidHandle;      // ERROR_INVALID_HANDLE
inline constexpr HResult kErrorInvalidData = 0xD;        // ERROR_INVALID_DATA
inline constexpr HResult kErrorNotSupported = codes::kErrorNotSupported;      // ERROR_NOT_SUPPORTED
inline constexpr HResult kErrorProcNotFound = codes::kErrorProcNotFound;      // ERROR_PROC_NOT_FOUND
inline constexpr HResult kErrorNotFound = codes::kErrorNotFound;         // ERROR_NOT_FOUND (1168)
inline constexpr HResult kEAccessDenied = codes::kEAccessDenied;    // E_ACCESSDENIED
inline constexpr HResult kEInvalidArg = codes::kEInvalidArg;      // E_INVALIDARG
inline constexpr HResult kEOutOfMemory = codes::kEOutOfMemory;     // E_OUTOFMEMORY
inline constexpr HResult kEFail = codes::kEFail;            // E_FAIL

// HCS v2 (computecore.dll).
inline constexpr HResult kHcsETerminatedDuringStart = 0x80370100;
inline constexpr HResult kHcsEImageMismatch = 0x80370101;
inline constexpr HResult kHcsEHypervNotInstalled = 0x80370102;
inline constexpr HResult kHcsEInvalidState = codes::kHcsEInvalidState;
inline constexpr HResult kHcsEUnexpectedExit = codes::kHcsEUnexpectedExit;
inline constexpr HResult kHcsETerminated = codes::kHcsETerminated;
inline constexpr HResult kHcsEConnectionTimeout = 0x80370109;
inline constexpr HResult kHcsEConnectionClosed = codes::kHcsEConnectionClosed;
inline constexpr HResult kHcsEUnknownMessage = codes::kHcsEUnknownMessage;
inline constexpr HResult kHcsEInvalidJson = codes::kHcsEInvalidJson;
inline constexpr HResult kHcsESystemNotFound = codes::kHcsESystemNotFound;
inline constexpr HResult kHcsESystemAlreadyExists = codes::kHcsESystemAlreadyExists;
inline constexpr HResult kHcsESystemAlreadyStopped = codes::kHcsESystemAlreadyStopped;
inline constexpr HResult kHcsEInvalidLayer = 0x80370112;
inline constexpr HResult kHcsEOperationNotStarted = 0x80370115;
inline constexpr HResult kHcsEOperationAlreadyStarted = 0x80370116;
inline constexpr HResult kHcsEOperationPending = codes::kHcsEOperationPending;
inline constexpr HResult kHcsEOperationTimeout = codes::kHcsEOperationTimeout;
inline constexpr HResult kHcsEOperationSystemCallbackAlreadySet = codes::kHcsEOperationSystemCallbackAlreadySet;
inline constexpr HResult kHcsEAccessDenied = codes::kHcsEAccessDenied;
inline constexpr HResult kHcsEServiceDisconnect = codes::kHcsEServiceDisconnect;
inline constexpr HResult kHcsEProcessAlreadyStopped = codes::kHcsEProcessAlreadyStopped;

// vmcompute.dll (v1) forms hcsshim still matches.
inline constexpr HResult kVmcomputeOperationPending = codes::kVmcomputeOperationPending;  // ERROR_VMCOMPUTE_OPERATION_PENDING
inline constexpr HResult kVmcomputeInvalidState = 0xC0370105;
inline constexpr HResult kVmcomputeUnexpectedExit = 0xC0370106;
inline constexpr HResult kVmcomputeUnknownMessage = 0xC037010B;
inline constexpr HResult kVmcomputeInvalidJson = 0xC037010D;
inline constexpr HResult kVmcomputeSystemNotFound = 0xC037010E;
inline constexpr HResult kVmcomputeAlreadyStopped = 0xC0370110;

inline bool Succeeded(HResult hr) { return (hr & 0x80000000u) == 0; }
inline bool Failed(HResult hr) { return !Succeeded(hr); }

// The form predicates compare: FACILITY_WIN32 HRESULTs become bare Win32
// codes, v1 0xC037xxxx codes become their v2 0x8037xxxx twins.
HResult NormalizeHResult(HResult hr);

// The system or process does not exist (ERROR_NOT_FOUND also means "process
// already exited", so it is both NotExist and AlreadyStopped, as in hcsshim).
bool IsNotExist(HResult hr);
// The system or process has already stopped; Shutdown/Terminate/Kill treat it as success.
bool IsAlreadyStopped(HResult hr);
// The work continues in the background (v2 HCS_E_OPERATION_PENDING or v1 0xC0370103).
bool IsPending(HResult hr);
bool IsAccessDenied(HResult hr);
// HCS does not understand or support the request (old host, bad schema).
bool IsNotSupported(HResult hr);
// Lost the compute service or the guest connection, or an operation timed out.
bool IsServiceUnavailable(HResult hr);

// "HCS_E_SYSTEM_NOT_FOUND (0x8037010E)", or "HRESULT 0x80004321" when unnamed.
std::string HResultName(HResult hr);

// absl::Status for an HCS call's result. Only S_OK and S_FALSE give OK: any
// other value is an error, including bare Win32 codes such as 0x490 that
// hcsshim-style callers pass without the 0x8007 prefix.
// The message names the operation, the object and the HRESULT, e.g.
// "HcsStartComputeSystem abc123: HCS_E_SYSTEM_NOT_FOUND (0x8037010E)", plus
// `detail` (HCS's ErrorMessage / error events) when given. Codes:
// NotFound (not exist), FailedPrecondition (already stopped, invalid state),
// AlreadyExists, PermissionDenied, Unavailable (pending, timeout,
// disconnected), Unimplemented (not supported), InvalidArgument (bad args or
// JSON), Internal otherwise.
absl::Status HResultToStatus(HResult hr, absl::string_view operation, absl::string_view object_id,
                             absl::string_view detail = "");

// The result of a Win32 API-table call (which carries its own message) as an
// absl::Status, the same way; OK stays OK.
inline absl::Status HrStatusToStatus(const win32::HrStatus& s, absl::string_view operation,
                                     absl::string_view object_id) {
  if (s.ok()) return absl::OkStatus();
  return HResultToStatus(s.hr(), operation, object_id, s.message());
}

}  // namespace silo::runtime::windows
