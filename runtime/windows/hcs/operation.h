#pragma once
// The call wrapper under every HCS call that takes an HCS_OPERATION, after
// hcsshim's runOperation/submitOperation (internal/hcs/v2/operation.go):
// create a fresh operation, make the call, wait for the result with the
// caller's deadline (HcsWaitForOperationResult timeout), cancel on timeout,
// and close the operation on every path. Failures carry the call name, the
// object id, the HRESULT and HCS's ResultError document
// (`ErrorMessage`, `ErrorEvents[].Message`).
//
// A call that itself returns HCS_E_OPERATION_PENDING has started; the wait
// decides. All functions are thread-safe as far as the HcsApi is.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "runtime/windows/hcs/api.h"
#include "runtime/base/windows/result.h"

namespace silo::runtime::windows::hcs {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;
inline constexpr Deadline kNoDeadline = Deadline::max();

// Milliseconds left until `deadline` for an HCS *Ms argument: INFINITE for
// kNoDeadline, 0 once passed, never INFINITE by accident.
uint32_t TimeoutMs(Deadline deadline);

// The call to make; it receives the fresh operation handle.
using OperationCall = std::function<uint32_t(HcsHandle operation)>;

// Runs `call` and waits for its result document (may be empty).
win32::Result<std::string> RunOperation(const HcsApi& api, std::string_view call_name, std::string_view object_id,
                                 Deadline deadline, const OperationCall& call);

struct ProcessOperationResult {
  HcsProcessInformation info{};
  std::string document;
};
// As RunOperation, but also returns HCS_PROCESS_INFORMATION
// (HcsWaitForOperationResultAndProcessInfo).
win32::Result<ProcessOperationResult> RunProcessOperation(const HcsApi& api, std::string_view call_name,
                                                   std::string_view object_id, Deadline deadline,
                                                   const OperationCall& call);

// Fire-and-forget (Shutdown/Terminate): makes the call and closes the
// operation at once; HCS finishes the work. A pending result is success.
win32::HrStatus SubmitOperation(const HcsApi& api, std::string_view call_name, std::string_view object_id,
                         const OperationCall& call);

// Builds the error for a failed call from HCS's ResultError document, e.g.
// "HcsStartComputeSystem c1: The system cannot find the file: event one; event two".
win32::HrStatus ErrorFromResult(std::string_view call_name, std::string_view object_id, uint32_t hr,
                         std::string_view result_document);

// Takes ownership of a string HCS returned: converts to UTF-8 and frees it.
std::string TakeHcsString(const HcsApi& api, wchar_t* string);

}  // namespace silo::runtime::windows::hcs
