#include "runtime/windows/hcs/operation.h"

#include <algorithm>

#include "nlohmann/json.hpp"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/hresult_codes.h"

namespace silo::runtime::windows::hcs {
namespace {

std::string Subject(std::string_view call_name, std::string_view object_id) {
  std::string s(call_name);
  if (!object_id.empty()) {
    s += ' ';
    s += object_id;
  }
  return s;
}

// Closes the operation on every path out of the wrapper.
class OperationCloser {
 public:
  OperationCloser(const HcsApi& api, HcsHandle op) : api_(api), op_(op) {}
  ~OperationCloser() { api_.close_operation(op_); }
  OperationCloser(const OperationCloser&) = delete;
  OperationCloser& operator=(const OperationCloser&) = delete;

 private:
  const HcsApi& api_;
  HcsHandle op_;
};

// Shared body of RunOperation and RunProcessOperation; `info` selects the
// ...AndProcessInfo wait.
win32::Result<std::string> Run(const HcsApi& api, std::string_view call_name, std::string_view object_id,
                        Deadline deadline, const OperationCall& call, HcsProcessInformation* info) {
  HcsHandle op = api.create_operation(nullptr, nullptr);
  if (op == nullptr) {
    return win32::HrStatus(codes::kEOutOfMemory, Subject(call_name, object_id) + ": HcsCreateOperation failed");
  }
  OperationCloser closer(api, op);

  uint32_t hr = call(op);
  if (codes::Failed(hr) && !codes::IsPending(hr)) {
    // The call did not start; the operation may still hold an error document.
    wchar_t* doc = nullptr;
    api.get_operation_result(op, &doc);
    return ErrorFromResult(call_name, object_id, hr, TakeHcsString(api, doc));
  }

  const uint32_t timeout_ms = TimeoutMs(deadline);
  wchar_t* doc = nullptr;
  hr = info != nullptr ? api.wait_for_operation_result_and_process_info(op, timeout_ms, info, &doc)
                       : api.wait_for_operation_result(op, timeout_ms, &doc);
  std::string document = TakeHcsString(api, doc);
  if (codes::IsTimeout(hr)) {
    std::string message = Subject(call_name, object_id) + ": no result within " + std::to_string(timeout_ms) + " ms";
    if (api.cancel_operation == nullptr) {
      message += "; HcsCancelOperation unavailable";
    } else if (const uint32_t cancel_hr = api.cancel_operation(op); codes::Failed(cancel_hr)) {
      message += "; cancel failed with " + win32::HexHResult(cancel_hr);
    } else {
      message += "; cancelled";
    }
    return win32::HrStatus(codes::kHcsEOperationTimeout, message);
  }
  if (codes::Failed(hr)) return ErrorFromResult(call_name, object_id, hr, document);
  return document;
}

}  // namespace

uint32_t TimeoutMs(Deadline deadline) {
  if (deadline == kNoDeadline) return kInfinite;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return static_cast<uint32_t>(std::min<long long>(left, kInfinite - 1));
}

win32::Result<std::string> RunOperation(const HcsApi& api, std::string_view call_name, std::string_view object_id,
                                 Deadline deadline, const OperationCall& call) {
  return Run(api, call_name, object_id, deadline, call, nullptr);
}

win32::Result<ProcessOperationResult> RunProcessOperation(const HcsApi& api, std::string_view call_name,
                                                   std::string_view object_id, Deadline deadline,
                                                   const OperationCall& call) {
  ProcessOperationResult out;
  win32::Result<std::string> doc = Run(api, call_name, object_id, deadline, call, &out.info);
  if (!doc.ok()) return doc.status();
  out.document = std::move(*doc);
  return out;
}

win32::HrStatus SubmitOperation(const HcsApi& api, std::string_view call_name, std::string_view object_id,
                         const OperationCall& call) {
  HcsHandle op = api.create_operation(nullptr, nullptr);
  if (op == nullptr) {
    return win32::HrStatus(codes::kEOutOfMemory, Subject(call_name, object_id) + ": HcsCreateOperation failed");
  }
  OperationCloser closer(api, op);
  const uint32_t hr = call(op);
  if (codes::Failed(hr) && !codes::IsPending(hr)) {
    wchar_t* doc = nullptr;
    api.get_operation_result(op, &doc);
    return ErrorFromResult(call_name, object_id, hr, TakeHcsString(api, doc));
  }
  return win32::HrStatus::Ok();
}

win32::HrStatus ErrorFromResult(std::string_view call_name, std::string_view object_id, uint32_t hr,
                         std::string_view result_document) {
  std::string message = Subject(call_name, object_id) + ": failed";
  const nlohmann::json doc = nlohmann::json::parse(result_document, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object()) {
    std::string detail;
    if (auto it = doc.find("ErrorMessage"); it != doc.end() && it->is_string()) detail = it->get<std::string>();
    if (auto it = doc.find("ErrorEvents"); it != doc.end() && it->is_array()) {
      for (const nlohmann::json& event : *it) {
        if (!event.is_object()) continue;
        auto m = event.find("Message");
        if (m == event.end() || !m->is_string()) continue;
        detail += detail.empty() ? "" : "; ";
        detail += m->get<std::string>();
      }
    }
    if (!detail.empty()) message = Subject(call_name, object_id) + ": " + detail;
  }
  return win32::HrStatus(hr == 0 ? codes::kEFail : hr, message);
}

std::string TakeHcsString(const HcsApi& api, wchar_t* string) {
  if (string == nullptr) return {};
  std::string out = win32::WideToUtf8(string);
  api.free_string(string);
  return out;
}

}  // namespace silo::runtime::windows::hcs
