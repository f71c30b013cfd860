#pragma once
// EventLogSink: silod's entries in the Windows Application event log, where
// operators look first when a service misbehaves. Only the service's life
// goes there (started, stopped, fatal error); everything else stays in the
// rotating log file. Entries use the source "silo" that the installer
// registers (event_log_source_win32.h) with EventCreate.exe as its message
// file, whose message table prints the text we pass for event ids 1..1000.
//
// Open registers the source, the destructor deregisters it. Report is
// thread-safe (ReportEventW is); an entry that cannot be written is an
// error for the caller to log, never a reason to stop the daemon.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "cri/daemon/windows/event_log_api.h"
#include "runtime/base/windows/result.h"

namespace silo::cri::windows {

inline constexpr wchar_t kEventSource[] = L"silo";

enum class ServiceEvent : uint32_t {
  kStarted = 1,     // information
  kStopped = 2,     // information
  kFatalError = 3,  // error: silod could not start or had to exit
};

class EventLogSink {
 public:
  static win32::Result<std::unique_ptr<EventLogSink>> Open(const EventLogApi& api,
                                                           std::wstring_view source = kEventSource);
  ~EventLogSink();
  EventLogSink(const EventLogSink&) = delete;
  EventLogSink& operator=(const EventLogSink&) = delete;

  // Writes one entry with `message` (UTF-8) as its text; text beyond what
  // ReportEventW takes is cut, with "..." at the end.
  win32::HrStatus Report(ServiceEvent event, std::string_view message);

 private:
  EventLogSink(const EventLogApi& api, void* handle) : api_(api), handle_(handle) {}
  const EventLogApi& api_;
  void* handle_;
};

}  // namespace silo::cri::windows
