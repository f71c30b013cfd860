// Fuzz target: JSON that comes back from HCS (computecore.dll) to the
// runtime/windows/hcs wrappers: operation result and error documents
// (ResultError with ErrorEvents), HcsEnumerateComputeSystems results,
// property documents, SystemExited and ProcessExited event payloads, and the
// UTF-8 <-> wide conversion they all pass through. A scripted HcsApi (below)
// hands the fuzz input back as every document HCS would return.
//
// Input: byte 0 picks the HRESULT the operations complete with (low two
// bits); the rest is the document, as UTF-8.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cwchar>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/windows/hcs/api.h"
#include "runtime/windows/hcs/compute_system.h"
#include "runtime/windows/hcs/events.h"
#include "runtime/windows/hcs/operation.h"
#include "runtime/windows/hcs/process.h"
#include "runtime/base/windows/wide.h"

namespace hcs = silo::runtime::windows::hcs;

namespace {

constexpr uint32_t kENotImpl = 0x80004001;
// S_OK, E_FAIL, HCS_E_INVALID_JSON, ERROR_TIMEOUT as an HRESULT (the wait's
// timeout path, which cancels the operation).
constexpr uint32_t kResults[] = {0, 0x80004005, 0x8037010D, 0x800705B4};

// What the scripted HCS answers for the current input.
std::wstring g_document;
uint32_t g_hr = 0;
hcs::HcsEventCallback g_callback = nullptr;
void* g_callback_context = nullptr;

int g_handle_tag = 0;  // handles are its address; nothing is allocated per handle
hcs::HcsHandle Handle() { return &g_handle_tag; }

// A copy the caller releases with free_string, as LocalFree'd HCS strings.
wchar_t* CopyDocument() {
  wchar_t* out = new wchar_t[g_document.size() + 1];
  std::wmemcpy(out, g_document.c_str(), g_document.size() + 1);
  return out;
}

uint32_t Result(wchar_t** doc) {
  if (doc != nullptr) *doc = CopyDocument();
  return g_hr;
}

hcs::HcsApi ScriptedApi() {
  hcs::HcsApi api{};
  api.create_operation = [](const void*, hcs::HcsOperationCompletion) { return Handle(); };
  api.close_operation = [](hcs::HcsHandle) {};
  api.get_operation_result = [](hcs::HcsHandle, wchar_t** doc) { return Result(doc); };
  api.get_operation_result_and_process_info = [](hcs::HcsHandle, hcs::HcsProcessInformation* info, wchar_t** doc) {
    *info = {};
    return Result(doc);
  };
  api.wait_for_operation_result = [](hcs::HcsHandle, uint32_t, wchar_t** doc) { return Result(doc); };
  api.wait_for_operation_result_and_process_info = [](hcs::HcsHandle, uint32_t, hcs::HcsProcessInformation* info,
                                                      wchar_t** doc) {
    *info = {};
    return Result(doc);
  };
  api.cancel_operation = [](hcs::HcsHandle) { return uint32_t{0}; };
  api.enumerate_compute_systems = [](const wchar_t*, hcs::HcsHandle) { return uint32_t{0}; };
  api.create_compute_system = [](const wchar_t*, const wchar_t*, hcs::HcsHandle, const void*,
                                 hcs::HcsHandle* system) {
    *system = Handle();
    return uint32_t{0};
  };
  api.open_compute_system = [](const wchar_t*, uint32_t, hcs::HcsHandle* system) {
    *system = Handle();
    return uint32_t{0};
  };
  api.close_compute_system = [](hcs::HcsHandle) {};
  api.start_compute_system = [](hcs::HcsHandle, hcs::HcsHandle, const wchar_t*) { return uint32_t{0}; };
  api.shut_down_compute_system = [](hcs::HcsHandle, hcs::HcsHandle, const wchar_t*) { return kENotImpl; };
  api.terminate_compute_system = [](hcs::HcsHandle, hcs::HcsHandle, const wchar_t*) { return kENotImpl; };
  api.get_compute_system_properties = [](hcs::HcsHandle, hcs::HcsHandle, const wchar_t*) { return uint32_t{0}; };
  api.modify_compute_system = [](hcs::HcsHandle, hcs::HcsHandle, const wchar_t*, void*) { return uint32_t{0}; };
  api.set_compute_system_callback = [](hcs::HcsHandle, uint32_t, const void* context, hcs::HcsEventCallback cb) {
    g_callback = cb;
    g_callback_context = const_cast<void*>(context);
    return uint32_t{0};
  };
  api.create_process = [](hcs::HcsHandle, const wchar_t*, hcs::HcsHandle, const void*, hcs::HcsHandle*) {
    return kENotImpl;
  };
  api.open_process = [](hcs::HcsHandle, uint32_t, uint32_t, hcs::HcsHandle*) { return kENotImpl; };
  api.close_process = [](hcs::HcsHandle) {};
  api.terminate_process = [](hcs::HcsHandle, hcs::HcsHandle, const wchar_t*) { return kENotImpl; };
  api.signal_process = [](hcs::HcsHandle, hcs::HcsHandle, const wchar_t*) { return kENotImpl; };
  api.get_process_info = [](hcs::HcsHandle, hcs::HcsHandle) { return kENotImpl; };
  api.get_process_properties = [](hcs::HcsHandle, hcs::HcsHandle, const wchar_t*) { return kENotImpl; };
  api.modify_process = [](hcs::HcsHandle, hcs::HcsHandle, const wchar_t*) { return kENotImpl; };
  api.set_process_callback = [](hcs::HcsHandle, uint32_t, void*, hcs::HcsEventCallback) { return kENotImpl; };
  api.free_string = [](wchar_t* s) { delete[] s; };
  api.close_handle = [](void*) {};
  return api;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const hcs::HcsApi api = ScriptedApi();
  g_hr = kResults[data[0] % 4];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  // Conversion: invalid input becomes U+FFFD, so one round trip normalises
  // and a second must change nothing.
  g_document = silo::win32::Utf8ToWide(text);
  const std::string once = silo::win32::WideToUtf8(g_document);
  if (silo::win32::WideToUtf8(silo::win32::Utf8ToWide(once)) != once) std::abort();

  // A ResultError document never yields success, whatever it says.
  if (hcs::ErrorFromResult("HcsStartComputeSystem", "c1", g_hr, text).ok()) std::abort();
  (void)hcs::ParseProcessExited(text);

  const auto soon = std::chrono::steady_clock::now() + std::chrono::milliseconds(1);
  (void)hcs::ComputeSystem::Enumerate(api, hcs::EnumerateQuery{}, soon);
  (void)hcs::ComputeSystem::Enumerate(api, hcs::EnumerateQuery{{"c1"}, {"silo"}}, soon);

  silo::win32::Result<std::unique_ptr<hcs::ComputeSystem>> system = hcs::ComputeSystem::Open(api, "c1");
  if (!system.ok()) std::abort();  // the scripted open always succeeds
  (void)(*system)->Properties(R"({"PropertyTypes":["Statistics"]})", soon);
  (void)(*system)->Start(soon);
  // HCS delivers the exit notification with the document as its payload.
  hcs::HcsEvent exited{hcs::kHcsEventSystemExited, g_document.c_str(), nullptr};
  g_callback(&exited, g_callback_context);
  (void)(*system)->WaitForExit(soon);
  return 0;
}
