#include "runtime/windows/hcs/compute_system.h"

#include <algorithm>

#include "nlohmann/json.hpp"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/hresult_codes.h"

namespace silo::runtime::windows::hcs {
namespace {

std::string StringField(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool Matches(const std::vector<std::string>& wanted, const std::string& value) {
  return wanted.empty() || std::find(wanted.begin(), wanted.end(), value) != wanted.end();
}

}  // namespace

ComputeSystem::ComputeSystem(const HcsApi& api, std::string id, HcsHandle handle)
    : api_(api), id_(std::move(id)), handle_(handle) {}

ComputeSystem::~ComputeSystem() { Close(); }

namespace {

// Ends a system this process just created and could not take charge of,
// then closes the handle. The terminate's outcome is ignored: the system may
// never have come to exist.
void TerminateAndClose(const HcsApi& api, const std::string& id, HcsHandle handle, Deadline deadline) {
  const Deadline bound = std::min(deadline, Clock::now() + std::chrono::seconds(30));
  (void)RunOperation(api, "HcsTerminateComputeSystem", id, bound,
                     [&](HcsHandle op) { return api.terminate_compute_system(handle, op, L""); });
  api.close_compute_system(handle);
}

}  // namespace

win32::Result<std::unique_ptr<ComputeSystem>> ComputeSystem::Adopt(const HcsApi& api, std::string id, HcsHandle handle,
                                                                   std::optional<Deadline> created_until) {
  std::unique_ptr<ComputeSystem> s(new ComputeSystem(api, std::move(id), handle));
  s->callback_context_ = RegisterEventSink(s->events_);
  const uint32_t hr =
      api.set_compute_system_callback(handle, kHcsEventOptionNone, s->callback_context_, &DispatchHcsEvent);
  if (codes::Failed(hr)) {
    win32::HrStatus failed(hr, "HcsSetComputeSystemCallback " + s->id_ + ": failed");
    if (created_until) {
      // Created here: nobody could watch it, so it must not run on.
      UnregisterEventSink(s->callback_context_);
      s->callback_context_ = nullptr;
      TerminateAndClose(api, s->id_, s->handle_, *created_until);
      s->handle_ = nullptr;
    }
    return failed;  // ~ComputeSystem closes what is left
  }
  return s;
}

win32::Result<std::unique_ptr<ComputeSystem>> ComputeSystem::Create(const HcsApi& api, std::string id,
                                                             std::string_view document_json, Deadline deadline) {
  const std::wstring wide_id = win32::Utf8ToWide(id);
  const std::wstring document = win32::Utf8ToWide(document_json);
  HcsHandle handle = nullptr;
  win32::Result<std::string> r = RunOperation(api, "HcsCreateComputeSystem", id, deadline, [&](HcsHandle op) {
    return api.create_compute_system(wide_id.c_str(), document.c_str(), op, nullptr, &handle);
  });
  if (!r.ok()) {
    // A handle may exist even though the create failed or timed out, and
    // then so may the system (a timed-out create can still complete): end
    // it before letting go of the handle, as hcsshim's CreateComputeSystem.
    if (handle != nullptr) TerminateAndClose(api, id, handle, deadline);
    return r.status();
  }
  return Adopt(api, std::move(id), handle, deadline);
}

win32::Result<std::unique_ptr<ComputeSystem>> ComputeSystem::Open(const HcsApi& api, std::string id) {
  const std::wstring wide_id = win32::Utf8ToWide(id);
  HcsHandle handle = nullptr;
  const uint32_t hr = api.open_compute_system(wide_id.c_str(), kGenericAll, &handle);
  if (codes::Failed(hr)) return win32::HrStatus(hr, "HcsOpenComputeSystem " + id + ": failed");
  return Adopt(api, std::move(id), handle, std::nullopt);
}

win32::Result<std::vector<SystemSummary>> ComputeSystem::Enumerate(const HcsApi& api, const EnumerateQuery& query,
                                                            Deadline deadline) {
  nlohmann::json q = nlohmann::json::object();
  if (!query.ids.empty()) q["Ids"] = query.ids;
  if (!query.owners.empty()) q["Owners"] = query.owners;
  const std::wstring wide_query = win32::Utf8ToWide(q.dump());
  win32::Result<std::string> r = RunOperation(api, "HcsEnumerateComputeSystems", "", deadline, [&](HcsHandle op) {
    return api.enumerate_compute_systems(wide_query.c_str(), op);
  });
  if (!r.ok()) return r.status();
  const nlohmann::json doc = nlohmann::json::parse(*r, nullptr, /*allow_exceptions=*/false);
  std::vector<SystemSummary> out;
  if (doc.is_null() && r->empty()) return out;
  if (!doc.is_array()) {
    return win32::HrStatus(codes::kHcsEInvalidJson, "HcsEnumerateComputeSystems: result is not a JSON array");
  }
  for (const nlohmann::json& e : doc) {
    if (!e.is_object()) continue;
    SystemSummary s{StringField(e, "Id"), StringField(e, "Owner"), StringField(e, "SystemType"),
                    StringField(e, "State")};
    if (Matches(query.ids, s.id) && Matches(query.owners, s.owner)) out.push_back(std::move(s));
  }
  return out;
}

win32::HrStatus ComputeSystem::Start(Deadline deadline) {
  return RunOperation(api_, "HcsStartComputeSystem", id_, deadline, [&](HcsHandle op) {
           return api_.start_compute_system(handle_, op, L"");
         }).status();
}

win32::HrStatus ComputeSystem::SubmitStop(bool terminate) {
  win32::HrStatus s = SubmitOperation(api_, terminate ? "HcsTerminateComputeSystem" : "HcsShutDownComputeSystem", id_,
                               [&](HcsHandle op) {
                                 return terminate ? api_.terminate_compute_system(handle_, op, L"")
                                                  : api_.shut_down_compute_system(handle_, op, L"");
                               });
  return s;
}

namespace {
// A system that has stopped, or is already gone, is what a stop asks for
// (hcsshim System.Shutdown/Terminate ignore both).
bool StopIsDone(uint32_t hr) { return codes::IsAlreadyStopped(hr) || codes::IsNotExist(hr); }
}  // namespace

win32::HrStatus ComputeSystem::Shutdown(Deadline deadline) {
  win32::HrStatus s = SubmitStop(/*terminate=*/false);
  if (!s.ok()) return StopIsDone(s.hr()) ? win32::HrStatus::Ok() : s;
  return WaitForExit(deadline).status();
}

win32::HrStatus ComputeSystem::Terminate(Deadline deadline) {
  win32::HrStatus s = SubmitStop(/*terminate=*/true);
  if (!s.ok()) return StopIsDone(s.hr()) ? win32::HrStatus::Ok() : s;
  return WaitForExit(deadline).status();
}

win32::HrStatus ComputeSystem::Stop(Deadline grace, Deadline deadline) {
  win32::HrStatus s = Shutdown(grace);
  if (s.ok()) return s;
  // A failed or slow shutdown (servercore may ignore it) falls back to terminate.
  win32::HrStatus t = Terminate(deadline);
  if (t.ok()) return t;
  return win32::HrStatus(t.hr(), t.message() + " (after shutdown: " + s.ToString() + ")");
}

win32::Result<SystemExit> ComputeSystem::WaitForExit(Deadline deadline) {
  win32::Result<HcsEventRecord> e = events_->WaitFor(kHcsEventSystemExited, deadline, "wait for exit of " + id_);
  if (!e.ok()) return e.status();
  SystemExit out;
  const nlohmann::json doc = nlohmann::json::parse(e->data, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object()) {
    if (auto it = doc.find("Status"); it != doc.end() && it->is_number_integer()) {
      out.status = static_cast<uint32_t>(it->get<int64_t>());
    }
    out.exit_type = StringField(doc, "ExitType");
  }
  return out;
}

win32::Result<std::string> ComputeSystem::Properties(std::string_view query_json, Deadline deadline) {
  const std::wstring query = win32::Utf8ToWide(query_json);
  return RunOperation(api_, "HcsGetComputeSystemProperties", id_, deadline, [&](HcsHandle op) {
    return api_.get_compute_system_properties(handle_, op, query.c_str());
  });
}

win32::HrStatus ComputeSystem::Modify(std::string_view settings_json, Deadline deadline) {
  const std::wstring settings = win32::Utf8ToWide(settings_json);
  return RunOperation(api_, "HcsModifyComputeSystem", id_, deadline, [&](HcsHandle op) {
           return api_.modify_compute_system(handle_, op, settings.c_str(), nullptr);
         }).status();
}

win32::Result<std::unique_ptr<Process>> ComputeSystem::CreateProcess(std::string_view parameters_json, Deadline deadline) {
  const std::wstring params = win32::Utf8ToWide(parameters_json);
  HcsHandle process = nullptr;
  win32::Result<ProcessOperationResult> r =
      RunProcessOperation(api_, "HcsCreateProcess", id_, deadline, [&](HcsHandle op) {
        return api_.create_process(handle_, params.c_str(), op, nullptr, &process);
      });
  if (!r.ok() && process != nullptr && !codes::IsTimeout(r.status().hr())) {
    // WS2022 quirk: the create completed synchronously and the wait failed
    // spuriously; the handle is valid, so ask for the process information.
    win32::Result<ProcessOperationResult> info =
        RunProcessOperation(api_, "HcsGetProcessInfo", id_, deadline,
                            [&](HcsHandle op) { return api_.get_process_info(process, op); });
    if (info.ok()) r = std::move(info);
  }
  if (!r.ok()) {
    if (process != nullptr) api_.close_process(process);
    return r.status();
  }
  const HcsProcessInformation& i = r->info;
  return Process::Adopt(api_, id_, i.process_id, process, StdioHandles{i.std_input, i.std_output, i.std_error});
}

win32::Result<std::unique_ptr<Process>> ComputeSystem::OpenProcess(uint32_t pid) {
  HcsHandle process = nullptr;
  const uint32_t hr = api_.open_process(handle_, pid, kGenericAll, &process);
  if (codes::Failed(hr)) {
    return win32::HrStatus(hr, "HcsOpenProcess " + id_ + " pid " + std::to_string(pid) + ": failed");
  }
  return Process::Adopt(api_, id_, pid, process, StdioHandles{});
}

void ComputeSystem::Close() {
  if (handle_ == nullptr) return;
  // HcsCloseComputeSystem also unregisters the callback; no final event comes.
  api_.close_compute_system(handle_);
  handle_ = nullptr;
  UnregisterEventSink(callback_context_);
}

}  // namespace silo::runtime::windows::hcs
