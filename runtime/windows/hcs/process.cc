#include "runtime/windows/hcs/process.h"

#include "nlohmann/json.hpp"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/hresult_codes.h"

namespace silo::runtime::windows::hcs {
namespace {

constexpr std::chrono::seconds kStatusQueryTimeout{30};

}  // namespace

win32::Result<std::unique_ptr<Process>> Process::Adopt(const HcsApi& api, std::string system_id, uint32_t pid,
                                                HcsHandle handle, StdioHandles stdio) {
  std::unique_ptr<Process> p(new Process(api, std::move(system_id), pid, handle, stdio));
  p->callback_context_ = RegisterEventSink(p->events_);
  const uint32_t hr =
      api.set_process_callback(handle, kHcsEventOptionNone, p->callback_context_, &DispatchHcsEvent);
  if (codes::Failed(hr)) {
    return win32::HrStatus(hr, "HcsSetProcessCallback " + p->Name() + ": failed");  // ~Process closes
  }
  p->CatchEarlyExit();
  return p;
}

void Process::CatchEarlyExit() {
  // A process may end between HcsCreateProcess and HcsSetProcessCallback,
  // and HCS does not document replaying ProcessExited to a callback set
  // later: its status is asked once. An exit found here is posted like the
  // event (the sink keeps the first, so a callback that did fire as well
  // is not delivered twice). A failed query leaves it to the callback.
  // Its result is read with the ...AndProcessInfo wait, as the
  // HcsGetProcessProperties reference asks.
  win32::Result<ProcessOperationResult> status =
      RunProcessOperation(api_, "HcsGetProcessProperties", Name(), Clock::now() + kStatusQueryTimeout,
                          [&](HcsHandle op) { return api_.get_process_properties(handle_, op, nullptr); });
  if (!status.ok()) return;
  const nlohmann::json doc = nlohmann::json::parse(status->document, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return;
  const auto exited = doc.find("Exited");  // a schema surprise must not throw
  if (exited == doc.end() || !exited->is_boolean() || !exited->get<bool>()) return;
  events_->Post(HcsEventRecord{kHcsEventProcessExited, status->document});
}

Process::Process(const HcsApi& api, std::string system_id, uint32_t pid, HcsHandle handle, StdioHandles stdio)
    : api_(api), system_id_(std::move(system_id)), pid_(pid), handle_(handle), stdio_(stdio) {}

Process::~Process() { Close(); }

std::string Process::Name() const { return system_id_ + " pid " + std::to_string(pid_); }

StdioHandles Process::TakeStdio() {
  StdioHandles out = stdio_;
  stdio_ = StdioHandles{};
  return out;
}

win32::Result<bool> Process::Signal(std::string_view options_json, Deadline deadline) {
  const std::wstring options = win32::Utf8ToWide(options_json);
  win32::Result<std::string> r = RunOperation(api_, "HcsSignalProcess", Name(), deadline, [&](HcsHandle op) {
    return api_.signal_process(handle_, op, options.c_str());
  });
  if (r.ok()) return true;
  const uint32_t hr = r.status().hr();
  if (codes::IsInvalidState(hr) || codes::IsAlreadyStopped(hr)) return false;
  return r.status();
}

win32::HrStatus Process::Terminate(Deadline deadline) {
  win32::Result<std::string> r = RunOperation(api_, "HcsTerminateProcess", Name(), deadline, [&](HcsHandle op) {
    return api_.terminate_process(handle_, op, L"");
  });
  if (r.ok()) return win32::HrStatus::Ok();
  const uint32_t hr = r.status().hr();
  // Access denied after the process has exited is how Windows reports
  // terminating a dead process.
  if (codes::IsAlreadyStopped(hr) || (codes::IsAccessDenied(hr) && events_->Has(kHcsEventProcessExited))) {
    return win32::HrStatus::Ok();
  }
  return r.status();
}

win32::Result<ProcessExit> Process::WaitForExit(Deadline deadline) {
  win32::Result<HcsEventRecord> e = events_->WaitFor(kHcsEventProcessExited, deadline, "wait for exit of " + Name());
  if (!e.ok()) return e.status();
  return ParseProcessExited(e->data);
}

uint64_t Process::AddExitListener(std::function<void()> fn) {
  return events_->AddListener(kHcsEventProcessExited, std::move(fn));
}

void Process::RemoveExitListener(uint64_t id) { events_->RemoveListener(id); }

win32::HrStatus Process::Modify(std::string_view settings_json, Deadline deadline) {
  const std::wstring settings = win32::Utf8ToWide(settings_json);
  return RunOperation(api_, "HcsModifyProcess", Name(), deadline, [&](HcsHandle op) {
           return api_.modify_process(handle_, op, settings.c_str());
         }).status();
}

win32::HrStatus Process::ResizeConsole(uint16_t width, uint16_t height, Deadline deadline) {
  const nlohmann::json request = {{"Operation", "ConsoleSize"},
                                  {"ConsoleSize", {{"Height", height}, {"Width", width}}}};
  return Modify(request.dump(), deadline);
}

win32::HrStatus Process::CloseStdin(Deadline deadline) {
  const nlohmann::json request = {{"Operation", "CloseHandle"}, {"CloseHandle", {{"Handle", "StdIn"}}}};
  return Modify(request.dump(), deadline);
}

void Process::Close() {
  if (handle_ == nullptr) return;
  // HcsCloseProcess unregisters the callback; no event follows it.
  api_.close_process(handle_);
  handle_ = nullptr;
  UnregisterEventSink(callback_context_);
  for (void* h : {stdio_.std_input, stdio_.std_output, stdio_.std_error}) {
    if (h != nullptr) api_.close_handle(h);
  }
  stdio_ = StdioHandles{};
}

ProcessExit ParseProcessExited(std::string_view json) {
  ProcessExit out;
  const nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return out;
  const auto last_wait = doc.find("LastWaitResult");
  if (last_wait != doc.end() && last_wait->is_number_integer() && last_wait->get<int64_t>() != 0) return out;
  // ExitCode is omitted when 0 (hcsshim's schema: omitempty); one that is
  // not a DWORD is unreadable.
  const auto code = doc.find("ExitCode");
  if (code == doc.end()) {
    out.exit_code = 0;
  } else if (code->is_number_unsigned() && code->get<uint64_t>() <= 0xFFFFFFFFu) {
    out.exit_code = code->get<uint32_t>();
  }
  return out;
}

win32::HrStatus TerminateProcessThroughFreshHandle(const HcsApi& api, std::string_view system_id, uint32_t pid,
                                            Deadline deadline) {
  const std::string name = std::string(system_id) + " pid " + std::to_string(pid);
  const std::wstring wide_id = win32::Utf8ToWide(system_id);
  HcsHandle system = nullptr;
  uint32_t hr = api.open_compute_system(wide_id.c_str(), kGenericAll, &system);
  if (codes::IsNotExist(hr) || codes::IsAlreadyStopped(hr)) return win32::HrStatus::Ok();
  if (codes::Failed(hr)) return win32::HrStatus(hr, "HcsOpenComputeSystem " + std::string(system_id) + ": failed");
  HcsHandle process = nullptr;
  hr = api.open_process(system, pid, kGenericAll, &process);
  win32::HrStatus status;
  if (codes::IsNotExist(hr) || codes::IsAlreadyStopped(hr)) {
    status = win32::HrStatus::Ok();
  } else if (codes::Failed(hr)) {
    status = win32::HrStatus(hr, "HcsOpenProcess " + name + ": failed");
  } else {
    win32::Result<std::string> r = RunOperation(api, "HcsTerminateProcess", name, deadline,
                                         [&](HcsHandle op) { return api.terminate_process(process, op, L""); });
    if (!r.ok() && !codes::IsAlreadyStopped(r.status().hr())) status = r.status();
    api.close_process(process);
  }
  api.close_compute_system(system);
  return status;
}

}  // namespace silo::runtime::windows::hcs
