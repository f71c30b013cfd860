#include "cri/daemon/windows/event_log_critical_sink.h"

#include <string_view>

namespace silo::cri::windows {

void EventLogCriticalSink::sink_it_(const spdlog::details::log_msg& msg) {
  if (msg.level < spdlog::level::critical) return;
  // A full or unavailable event log must not take the daemon down; the
  // record is in the log file anyway.
  (void)sink_->Report(ServiceEvent::kFatalError, std::string_view(msg.payload.data(), msg.payload.size()));
}

}  // namespace silo::cri::windows
