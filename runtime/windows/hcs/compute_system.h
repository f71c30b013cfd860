#pragma once
// ComputeSystem: an HCS compute system handle (HCS_SYSTEM) and its
// lifecycle, after hcsshim internal/hcs/v2/system.go. Every call goes through
// the operation wrapper (deadline, cancel on timeout, ResultError parsing);
// the one static event callback (events.h) is registered right after
// create/open, before anything can wait on SystemExited.
//
//   Create ──> Created ──Start──> Running ──Shutdown/Terminate──> Stopped
//   Open/Enumerate find systems that survive a silod restart (recovery).
//
// Idempotency: Shutdown and Terminate of a stopped or vanished system are OK; Close is
// idempotent. Closing the handle does not stop the system unless its
// document set ShouldTerminateOnLastHandleClosed.
// Thread safety: calls may run concurrently except Close/destructor.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/windows/hcs/api.h"
#include "runtime/windows/hcs/events.h"
#include "runtime/windows/hcs/operation.h"
#include "runtime/windows/hcs/process.h"
#include "runtime/base/windows/result.h"

namespace silo::runtime::windows::hcs {

// One entry of HcsEnumerateComputeSystems' result.
struct SystemSummary {
  std::string id;
  std::string owner;
  std::string system_type;
  std::string state;
};

struct EnumerateQuery {
  std::vector<std::string> ids;
  std::vector<std::string> owners;
};

struct SystemExit {
  uint32_t status = 0;    // HRESULT HCS reported
  std::string exit_type;  // e.g. "UnexpectedExit"
};

class ComputeSystem {
 public:
  // HcsCreateComputeSystem(id, document). HCS_E_SYSTEM_ALREADY_EXISTS when
  // taken. When the create fails or times out with a handle, or the event
  // callback cannot be set, the system is terminated before its handle
  // closes (hcsshim CreateComputeSystem), so nothing is left running.
  static win32::Result<std::unique_ptr<ComputeSystem>> Create(const HcsApi& api, std::string id,
                                                       std::string_view document_json, Deadline deadline);
  // HcsOpenComputeSystem (synchronous). IsNotExist(hr) when there is none.
  static win32::Result<std::unique_ptr<ComputeSystem>> Open(const HcsApi& api, std::string id);
  // HcsEnumerateComputeSystems with {"Ids":[...],"Owners":[...]}; results are
  // filtered by the query again here, so a host that ignores a key cannot
  // hand us someone else's system.
  static win32::Result<std::vector<SystemSummary>> Enumerate(const HcsApi& api, const EnumerateQuery& query,
                                                      Deadline deadline);

  ~ComputeSystem();
  ComputeSystem(const ComputeSystem&) = delete;
  ComputeSystem& operator=(const ComputeSystem&) = delete;

  const std::string& id() const { return id_; }

  win32::HrStatus Start(Deadline deadline);
  // Asks the system to shut down (fire-and-forget) and waits for
  // SystemExited until `deadline`. OK when it was already stopped.
  win32::HrStatus Shutdown(Deadline deadline);
  // Terminates (fire-and-forget) and waits for SystemExited until `deadline`.
  // OK when it was already stopped.
  win32::HrStatus Terminate(Deadline deadline);
  // Shutdown until `grace`, then Terminate until `deadline`.
  win32::HrStatus Stop(Deadline grace, Deadline deadline);
  // Waits for SystemExited.
  win32::Result<SystemExit> WaitForExit(Deadline deadline);

  // HcsGetComputeSystemProperties: the properties JSON for `query_json`.
  win32::Result<std::string> Properties(std::string_view query_json, Deadline deadline);
  // HcsModifyComputeSystem with a ModifySettingRequest JSON.
  win32::HrStatus Modify(std::string_view settings_json, Deadline deadline);

  // HcsCreateProcess with ProcessParameters JSON. Handles the WS2022 quirk
  // where the wait fails spuriously although the process was created: it
  // then asks HcsGetProcessInfo before giving up (hcsshim createProcess).
  win32::Result<std::unique_ptr<Process>> CreateProcess(std::string_view parameters_json, Deadline deadline);
  // HcsOpenProcess (synchronous).
  win32::Result<std::unique_ptr<Process>> OpenProcess(uint32_t pid);

  // Unregisters events and closes the handle. Idempotent.
  void Close();

 private:
  ComputeSystem(const HcsApi& api, std::string id, HcsHandle handle);
  // Takes ownership of `handle` and registers the event callback. With
  // `created_until` (a system just created here) a failure terminates the
  // system before the handle closes.
  static win32::Result<std::unique_ptr<ComputeSystem>> Adopt(const HcsApi& api, std::string id, HcsHandle handle,
                                                             std::optional<Deadline> created_until);
  win32::HrStatus SubmitStop(bool terminate);

  const HcsApi& api_;
  const std::string id_;
  HcsHandle handle_;
  std::shared_ptr<EventSink> events_ = std::make_shared<EventSink>();
  void* callback_context_ = nullptr;
};

}  // namespace silo::runtime::windows::hcs
