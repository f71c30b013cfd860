// Windows only (built by the mingw project): binds EventLogApi to advapi32.
#include "cri/daemon/windows/event_log_api_win32.h"

#include <windows.h>

namespace silo::cri::windows {
namespace {

static_assert(kEventError == EVENTLOG_ERROR_TYPE && kEventWarning == EVENTLOG_WARNING_TYPE &&
              kEventInformation == EVENTLOG_INFORMATION_TYPE);

void* Register(const wchar_t* server, const wchar_t* source) { return RegisterEventSourceW(server, source); }
int32_t Report(void* log, uint16_t type, uint16_t category, uint32_t event_id, void* user_sid, uint16_t num_strings,
               uint32_t data_size, const wchar_t** strings, void* raw_data) {
  return ReportEventW(log, type, category, event_id, static_cast<PSID>(user_sid), num_strings, data_size,
                      const_cast<LPCWSTR*>(strings), raw_data);
}
int32_t Deregister(void* log) { return DeregisterEventSource(log); }
uint32_t LastError() { return GetLastError(); }

constexpr EventLogApi kApi{&Register, &Report, &Deregister, &LastError};

}  // namespace

const EventLogApi& Win32EventLogApi() { return kApi; }

}  // namespace silo::cri::windows
