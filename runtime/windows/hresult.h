#pragma once
// Named HRESULTs returned by HCS (computecore.dll, and vmcompute.dll's
// 0xC037xxxx forms) and the Win32 codes hcsshim treats specially, with the
// predicates callers use instead of raw comparisons. Values are from
// hcsshim internal/hcs/errors.go, internal/hcs/v2/errors.go and the HCS
// reference (HCSHResult.md); mingw's winerror.h has none of the HCS_E_*.
//
// Plain uint32_t, no <windows.h>: this file builds and is tested on Linux.
// Predicates normalise first: 0x8007xxxx (FACILITY_WIN32) compares as the
// bare Win32 code xxxx, as hcsshim does, and 0xC037xxxx compares as 0x8037xxxx.
// All functions are pure and thread-safe.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace silo::runtime::windows {

using HResult = uint32_t;

inline constexpr HResult kSOk = 0;
inline constexpr HResult kSFalse = 1;

// Win32 codes (bare, as hcsshim compares them) and their HRESULT forms.
inline constexpr HResult kErrorAccessDenied = 0x5;       // ERROR_ACCESS_DENIED
inline constexpr HResult kErrorInvalidHandle = 0x6;      // ERROR_INVALID_HANDLE
inline constexpr HResult kErrorInvalidData = 0xD;        // ERROR_INVALID_DATA
inline constexpr HResult kErrorNotSupported = 0x32;      // ERROR_NOT_SUPPORTED
inline constexpr HResult kErrorProcNotFound = 0x7F;      // ERROR_PROC_NOT_FOUND
inline constexpr HResult kErrorNotFound = 0x490;         // ERROR_NOT_FOUND (1168)
inline constexpr HResult kEAccessDenied = 0x80070005;    // E_ACCESSDENIED
inline constexpr HResult kEInvalidArg = 0x80070057;      // E_INVALIDARG
inline constexpr HResult kEOutOfMemory = 0x8007000E;     // E_OUTOFMEMORY
inline constexpr HResult kEFail = 0x80004005;            // E_FAIL

// HCS v2 (computecore.dll).
inline constexpr HResult kHcsETerminatedDuringStart = 0x80370100;
inline constexpr HResult kHcsEImageMismatch = 0x80370101;
inline constexpr HResult kHcsEHypervNotInstalled = 0x80370102;
inline constexpr HResult kHcsEInvalidState = 0x80370105;
inline constexpr HResult kHcsEUnexpectedExit = 0x80370106;
inline constexpr HResult kHcsETerminated = 0x80370107;
inline constexpr HResult kHcsEConnectionTimeout = 0x80370109;
inline constexpr HResult kHcsEConnectionClosed = 0x8037010A;
inline constexpr HResult kHcsEUnknownMessage = 0x8037010B;
inline constexpr HResult kHcsEInvalidJson = 0x8037010D;
inline constexpr HResult kHcsESystemNotFound = 0x8037010E;
inline constexpr HResult kHcsESystemAlreadyExists = 0x8037010F;
inline constexpr HResult kHcsESystemAlreadyStopped = 0x80370110;
inline constexpr HResult kHcsEInvalidLayer = 0x80370112;
inline constexpr HResult kHcsEOperationNotStarted = 0x80370115;
inline constexpr HResult kHcsEOperationAlreadyStarted = 0x80370116;
inline constexpr HResult kHcsEOperationPending = 0x80370117;
inline constexpr HResult kHcsEOperationTimeout = 0x80370118;
inline constexpr HResult kHcsEOperationSystemCallbackAlreadySet = 0x80370119;
inline constexpr HResult kHcsEAccessDenied = 0x8037011B;
inline constexpr HResult kHcsEServiceDisconnect = 0x8037011E;
inline constexpr HResult kHcsEProcessAlreadyStopped = 0x8037011F;

// vmcompute.dll (v1) forms hcsshim still matches.
inline constexpr HResult kVmcomputeOperationPending = 0xC0370103;  // ERROR_VMCOMPUTE_OPERATION_PENDING
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

}  // namespace silo::runtime::windows
