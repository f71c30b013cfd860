#pragma once
// Step timings for monitoring without a Prometheus dependency: portable code
// (the sandbox and container managers, the CNI invoker, the metadata store)
// reports how long a step took; silod installs one DurationSink that turns
// the reports into histograms (metrics/families.h). With no sink installed a
// report costs one atomic load.
//
// Thread-safe. The sink must outlive every report (silod installs it before
// wiring the backends and removes it after they are gone).

#include <chrono>
#include <string_view>

namespace silo {

enum class Timing {
  kSandboxStart,    // step: namespaces, pod_group, network, pod_start, files, total
  kContainerStart,   // step: create, its parts rootfs, bundle, monitor; start
  kContainerRemove,  // step: monitor (its shutdown and the runtime's delete), rootfs, files, total
  kCniCall,         // step: ADD, DEL, CHECK
  kStoreCommit,     // step: commit
};

class DurationSink {
 public:
  virtual ~DurationSink() = default;
  virtual void Observe(Timing timing, std::string_view step, bool ok, double seconds) = 0;
};

// Installs `sink` (null removes it).
void SetDurationSink(DurationSink* sink);
void ObserveDuration(Timing timing, std::string_view step, bool ok, double seconds);

// Reports the time from construction to Done() (or destruction, as failed).
class StepTimer {
 public:
  StepTimer(Timing timing, std::string_view step) : timing_(timing), step_(step) {}
  ~StepTimer() {
    if (!done_) Done(false);
  }
  StepTimer(const StepTimer&) = delete;
  StepTimer& operator=(const StepTimer&) = delete;
  void Done(bool ok) {
    done_ = true;
    ObserveDuration(timing_, step_,
                    ok, std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }

 private:
  const Timing timing_;
  const std::string_view step_;  // a literal: outlives the timer
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  bool done_ = false;
};

}  // namespace silo
