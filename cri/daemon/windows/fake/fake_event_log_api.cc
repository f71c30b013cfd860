#include "cri/daemon/windows/fake/fake_event_log_api.h"

#include <algorithm>
#include <cstdlib>

namespace silo::cri::windows::fake {

FakeEventLogApi* FakeEventLogApi::current_ = nullptr;

namespace {
constexpr uint32_t kErrorInvalidHandle = 6;
constexpr uint32_t kErrorInvalidParameter = 87;
}  // namespace

// The open source behind `log`, or null after counting a bad handle.
const std::pair<void*, std::wstring>* FakeEventLogApi::FindOpen(void* log) {
  auto it = std::find_if(open_.begin(), open_.end(), [&](const auto& o) { return o.first == log; });
  if (it != open_.end()) return &*it;
  last_error_ = kErrorInvalidHandle;
  ++bad_calls_;
  return nullptr;
}

FakeEventLogApi::FakeEventLogApi() {
  if (current_ != nullptr) std::abort();  // one table, one fake
  current_ = this;
  api_ = EventLogApi{&Register, &Report, &Deregister, &LastError};
}

FakeEventLogApi::~FakeEventLogApi() { current_ = nullptr; }

void* FakeEventLogApi::Register(const wchar_t* server, const wchar_t* source) {
  FakeEventLogApi& f = *current_;
  if (server != nullptr || source == nullptr || *source == L'\0' || !f.registered_.count(source)) {
    f.last_error_ = kErrorInvalidParameter;
    ++f.bad_calls_;
    return nullptr;
  }
  f.next_handle_ += 4;
  void* h = reinterpret_cast<void*>(f.next_handle_);
  f.open_.emplace_back(h, source);
  return h;
}

int32_t FakeEventLogApi::Report(void* log, uint16_t type, uint16_t category, uint32_t event_id, void* user_sid,
                                uint16_t num_strings, uint32_t data_size, const wchar_t** strings, void* raw_data) {
  FakeEventLogApi& f = *current_;
  const auto* source = f.FindOpen(log);
  if (source == nullptr) return 0;
  const bool type_ok = type == kEventError || type == kEventWarning || type == kEventInformation;
  bool strings_ok = num_strings == 0 || strings != nullptr;
  for (uint16_t i = 0; strings_ok && i < num_strings; ++i) {
    strings_ok = strings[i] != nullptr && std::wstring(strings[i]).size() <= kMaxEventStringChars;
  }
  if (!type_ok || !strings_ok || event_id < 1 || event_id > 1000 || (data_size != 0 && raw_data == nullptr)) {
    f.last_error_ = kErrorInvalidParameter;
    ++f.bad_calls_;
    return 0;
  }
  if (f.report_error_ != 0) {
    f.last_error_ = f.report_error_;
    return 0;
  }
  LoggedEvent e{source->second, type, event_id, {}};
  for (uint16_t i = 0; i < num_strings; ++i) e.strings.emplace_back(strings[i]);
  f.events_.push_back(std::move(e));
  return 1;
}

int32_t FakeEventLogApi::Deregister(void* log) {
  FakeEventLogApi& f = *current_;
  const auto* source = f.FindOpen(log);
  if (source == nullptr) return 0;
  f.open_.erase(f.open_.begin() + (source - f.open_.data()));
  return 1;
}

uint32_t FakeEventLogApi::LastError() { return current_->last_error_; }

}  // namespace silo::cri::windows::fake
