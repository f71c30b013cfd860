#include "cri/daemon/windows/event_log_sink.h"

#include "runtime/base/windows/wide.h"

namespace silo::cri::windows {
namespace {

uint32_t HResultFromWin32(uint32_t error) {
  return error == 0 ? 0x80004005u : (error & 0xFFFF) | 0x80070000u;  // E_FAIL when no error was set
}

}  // namespace

win32::Result<std::unique_ptr<EventLogSink>> EventLogSink::Open(const EventLogApi& api, std::wstring_view source) {
  const std::wstring name(source);
  void* handle = api.register_event_source(nullptr, name.c_str());
  if (handle == nullptr) {
    const uint32_t error = api.get_last_error();
    return win32::HrStatus(HResultFromWin32(error), "RegisterEventSourceW " + win32::WideToUtf8(name) + ": error " +
                                                        std::to_string(error));
  }
  return std::unique_ptr<EventLogSink>(new EventLogSink(api, handle));
}

EventLogSink::~EventLogSink() { api_.deregister_event_source(handle_); }

win32::HrStatus EventLogSink::Report(ServiceEvent event, std::string_view message) {
  std::wstring text = win32::Utf8ToWide(message);
  if (text.size() > kMaxEventStringChars) {
    text.resize(kMaxEventStringChars - 3);
    if ((static_cast<uint32_t>(text.back()) & 0xFC00) == 0xD800) text.pop_back();  // half a surrogate pair
    text += L"...";
  }
  const wchar_t* strings[] = {text.c_str()};
  const uint16_t type = event == ServiceEvent::kFatalError ? kEventError : kEventInformation;
  if (!api_.report_event(handle_, type, 0, static_cast<uint32_t>(event), nullptr, 1, 0, strings, nullptr)) {
    const uint32_t error = api_.get_last_error();
    return win32::HrStatus(HResultFromWin32(error), "ReportEventW event " +
                                                        std::to_string(static_cast<uint32_t>(event)) + ": error " +
                                                        std::to_string(error));
  }
  return win32::HrStatus::Ok();
}

}  // namespace silo::cri::windows
