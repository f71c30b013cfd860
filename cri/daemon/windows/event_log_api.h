#pragma once
// EventLogApi: the three advapi32 calls that write to a classic Windows
// event log, as a table of plain function pointers so the sink runs on
// Linux against fake/fake_event_log_api.h. Handles are void*, strings
// `const wchar_t*` (UTF-16 on Windows, UTF-32 in the fake), BOOLs int32_t.
// Immutable; safe to share between threads (the calls are thread-safe).

#include <cstdint>

namespace silo::cri::windows {

// ReportEventW wType values.
inline constexpr uint16_t kEventError = 0x0001;
inline constexpr uint16_t kEventWarning = 0x0002;
inline constexpr uint16_t kEventInformation = 0x0004;

// ReportEventW refuses longer insertion strings.
inline constexpr size_t kMaxEventStringChars = 31839;

struct EventLogApi {
  // RegisterEventSourceW(server, source); server null = this machine. Null on failure.
  void* (*register_event_source)(const wchar_t* server, const wchar_t* source);
  // ReportEventW(log, type, category, event_id, user_sid, num_strings,
  // data_size, strings, raw_data).
  int32_t (*report_event)(void* log, uint16_t type, uint16_t category, uint32_t event_id, void* user_sid,
                          uint16_t num_strings, uint32_t data_size, const wchar_t** strings, void* raw_data);
  int32_t (*deregister_event_source)(void* log);
  uint32_t (*get_last_error)();
};

}  // namespace silo::cri::windows
