#pragma once
// An spdlog sink that copies silod's fatal errors (critical records) to the
// Application event log; every other record stays in the rotating log file
// only, so the event log holds what an operator must see and little else.
// Add it to the default logger once the service runs. Thread-safe (spdlog's
// base_sink locks; ReportEventW is thread-safe).

#include <memory>
#include <mutex>

#include "cri/daemon/windows/event_log_sink.h"
#include "spdlog/sinks/base_sink.h"

namespace silo::cri::windows {

class EventLogCriticalSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit EventLogCriticalSink(std::shared_ptr<EventLogSink> sink) : sink_(std::move(sink)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  std::shared_ptr<EventLogSink> sink_;
};

}  // namespace silo::cri::windows
