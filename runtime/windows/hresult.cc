#include "runtime/windows/hresult.h"

#include <initializer_list>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace silo::runtime::windows {
namespace {

struct Named {
  HResult code;
  const char* name;
};

// Normalised forms only: NormalizeHResult runs before the lookup, so v1 and
// FACILITY_WIN32 spellings share one entry. The raw value is still printed.
constexpr Named kNames[] = {
    {kErrorAccessDenied, "ERROR_ACCESS_DENIED"},
    {kErrorInvalidHandle, "ERROR_INVALID_HANDLE"},
    {kErrorInvalidData, "ERROR_INVALID_DATA"},
    {kErrorNotSupported, "ERROR_NOT_SUPPORTED"},
    {kErrorProcNotFound, "ERROR_PROC_NOT_FOUND"},
    {kErrorNotFound, "ERROR_NOT_FOUND"},
    {0x57, "E_INVALIDARG"},
    {0xE, "E_OUTOFMEMORY"},
    {kEFail, "E_FAIL"},
    {kVmcomputeOperationPending, "ERROR_VMCOMPUTE_OPERATION_PENDING"},
    {kHcsETerminatedDuringStart, "HCS_E_TERMINATED_DURING_START"},
    {kHcsEImageMismatch, "HCS_E_IMAGE_MISMATCH"},
    {kHcsEHypervNotInstalled, "HCS_E_HYPERV_NOT_INSTALLED"},
    {kHcsEInvalidState, "HCS_E_INVALID_STATE"},
    {kHcsEUnexpectedExit, "HCS_E_UNEXPECTED_EXIT"},
    {kHcsETerminated, "HCS_E_TERMINATED"},
    {kHcsEConnectionTimeout, "HCS_E_CONNECTION_TIMEOUT"},
    {kHcsEConnectionClosed, "HCS_E_CONNECTION_CLOSED"},
    {kHcsEUnknownMessage, "HCS_E_UNKNOWN_MESSAGE"},
    {kHcsEInvalidJson, "HCS_E_INVALID_JSON"},
    {kHcsESystemNotFound, "HCS_E_SYSTEM_NOT_FOUND"},
    {kHcsESystemAlreadyExists, "HCS_E_SYSTEM_ALREADY_EXISTS"},
    {kHcsESystemAlreadyStopped, "HCS_E_SYSTEM_ALREADY_STOPPED"},
    {kHcsEInvalidLayer, "HCS_E_INVALID_LAYER"},
    {kHcsEOperationNotStarted, "HCS_E_OPERATION_NOT_STARTED"},
    {kHcsEOperationAlreadyStarted, "HCS_E_OPERATION_ALREADY_STARTED"},
    {kHcsEOperationPending, "HCS_E_OPERATION_PENDING"},
    {kHcsEOperationTimeout, "HCS_E_OPERATION_TIMEOUT"},
    {kHcsEOperationSystemCallbackAlreadySet, "HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET"},
    {kHcsEAccessDenied, "HCS_E_ACCESS_DENIED"},
    {kHcsEServiceDisconnect, "HCS_E_SERVICE_DISCONNECT"},
    {kHcsEProcessAlreadyStopped, "HCS_E_PROCESS_ALREADY_STOPPED"},
};

bool IsAnyOf(HResult hr, std::initializer_list<HResult> codes) {
  const HResult n = NormalizeHResult(hr);
  for (HResult c : codes) {
    if (n == c) return true;
  }
  return false;
}

}  // namespace

HResult NormalizeHResult(HResult hr) {
  if ((hr & 0xFFFF0000u) == 0x80070000u) return hr & 0xFFFFu;
  // v1 vmcompute codes share the v2 code numbers under severity 0xC; the one
  // exception is v1 "pending" (0x0103), which v2 spells 0x0117 — keep it apart.
  if ((hr & 0xFFFF0000u) == 0xC0370000u && hr != kVmcomputeOperationPending) {
    return (hr & 0x0000FFFFu) | 0x80370000u;
  }
  return hr;
}

bool IsNotExist(HResult hr) { return IsAnyOf(hr, {kHcsESystemNotFound, kErrorNotFound}); }

bool IsAlreadyStopped(HResult hr) {
  return IsAnyOf(hr, {kHcsESystemAlreadyStopped, kHcsEProcessAlreadyStopped, kErrorNotFound});
}

bool IsPending(HResult hr) {
  return IsAnyOf(hr, {kHcsEOperationPending, kVmcomputeOperationPending});
}

bool IsAccessDenied(HResult hr) {
  return IsAnyOf(hr, {kErrorAccessDenied, kHcsEAccessDenied});
}

bool IsNotSupported(HResult hr) {
  return IsAnyOf(hr, {kHcsEInvalidJson, kHcsEUnknownMessage, kErrorInvalidData,
                      kErrorNotSupported, kErrorProcNotFound});
}

bool IsServiceUnavailable(HResult hr) {
  return IsAnyOf(hr, {kHcsEServiceDisconnect, kHcsEConnectionTimeout, kHcsEConnectionClosed,
                      kHcsEOperationTimeout});
}

std::string HResultName(HResult hr) {
  const HResult n = NormalizeHResult(hr);
  for (const Named& entry : kNames) {
    if (entry.code == n) return absl::StrFormat("%s (0x%08X)", entry.name, hr);
  }
  return absl::StrFormat("HRESULT 0x%08X", hr);
}

absl::Status HResultToStatus(HResult hr, absl::string_view operation, absl::string_view object_id,
                             absl::string_view detail) {
  if (hr == kSOk || hr == kSFalse) return absl::OkStatus();
  std::string message = absl::StrCat(operation, " ", object_id, ": ", HResultName(hr));
  if (!detail.empty()) absl::StrAppend(&message, ": ", detail);

  // Order matters: ERROR_NOT_FOUND is both NotExist and AlreadyStopped; the
  // caller that tolerates "already stopped" checks the predicate, the status
  // reports the stronger "not found".
  if (IsNotExist(hr)) return absl::NotFoundError(message);
  if (IsAlreadyStopped(hr) || IsAnyOf(hr, {kHcsEInvalidState, kHcsEUnexpectedExit,
                                           kHcsETerminated, kHcsETerminatedDuringStart,
                                           kHcsEImageMismatch})) {
    return absl::FailedPreconditionError(message);
  }
  if (IsAnyOf(hr, {kHcsESystemAlreadyExists, kHcsEOperationAlreadyStarted})) {
    return absl::AlreadyExistsError(message);
  }
  if (IsAccessDenied(hr)) return absl::PermissionDeniedError(message);
  if (IsPending(hr) || IsServiceUnavailable(hr)) return absl::UnavailableError(message);
  if (IsNotSupported(hr)) return absl::UnimplementedError(message);
  if (IsAnyOf(hr, {0x57, kHcsEInvalidLayer})) return absl::InvalidArgumentError(message);
  return absl::InternalError(message);
}

}  // namespace silo::runtime::windows
