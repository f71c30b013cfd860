#include "runtime/base/durations.h"

#include <atomic>

namespace silo {
namespace {
std::atomic<DurationSink*> g_sink{nullptr};
}  // namespace

void SetDurationSink(DurationSink* sink) { g_sink.store(sink); }

void ObserveDuration(Timing timing, std::string_view step, bool ok, double seconds) {
  if (DurationSink* sink = g_sink.load()) sink->Observe(timing, step, ok, seconds);
}

}  // namespace silo
