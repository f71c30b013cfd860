#pragma once
// FakeEventLogApi: an in-memory Application log behind an EventLogApi
// table, for the sink's tests on Linux (Wine only stubs the event log).
// Strict: RegisterEventSourceW refuses an empty source name and a source
// the fake's "registry" does not list (the real call would log under a
// source no message file serves); ReportEventW refuses a handle it did not
// give out or already saw deregistered, a type other than error, warning
// or information, strings past kMaxEventStringChars or a null string, and
// an event id outside EventCreate.exe's 1..1000; DeregisterEventSource of
// an unknown handle fails and is counted. At most one fake per process
// (checked). Not thread-safe.

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cri/daemon/windows/event_log_api.h"

namespace silo::cri::windows::fake {

struct LoggedEvent {
  std::wstring source;
  uint16_t type;
  uint32_t event_id;
  std::vector<std::wstring> strings;
};

class FakeEventLogApi {
 public:
  FakeEventLogApi();
  ~FakeEventLogApi();
  FakeEventLogApi(const FakeEventLogApi&) = delete;
  FakeEventLogApi& operator=(const FakeEventLogApi&) = delete;

  const EventLogApi& api() const { return api_; }

  // What the installer registered.
  void RegisterSource(const std::wstring& source) { registered_.insert(source); }
  // ReportEventW fails with this error from now on (e.g. 1502, log full); 0 = works.
  void FailReports(uint32_t error) { report_error_ = error; }

  const std::vector<LoggedEvent>& events() const { return events_; }
  int open_handles() const { return static_cast<int>(open_.size()); }
  int bad_calls() const { return bad_calls_; }

 private:
  static FakeEventLogApi* current_;
  static void* Register(const wchar_t* server, const wchar_t* source);
  static int32_t Report(void* log, uint16_t type, uint16_t category, uint32_t event_id, void* user_sid,
                        uint16_t num_strings, uint32_t data_size, const wchar_t** strings, void* raw_data);
  static int32_t Deregister(void* log);
  static uint32_t LastError();
  const std::pair<void*, std::wstring>* FindOpen(void* log);

  EventLogApi api_{};
  std::set<std::wstring> registered_;
  std::vector<std::pair<void*, std::wstring>> open_;
  std::vector<LoggedEvent> events_;
  uintptr_t next_handle_ = 0x2000;
  uint32_t report_error_ = 0;
  uint32_t last_error_ = 0;
  int bad_calls_ = 0;
};

}  // namespace silo::cri::windows::fake
