#pragma once
// The load driver's watchdog: one thread that (1) notices any CRI call in
// flight for longer than a threshold, counts it as a deadlock once and dumps
// silod's thread stacks (gdb, /proc/PID/task/*/stack) to stdout, and (2)
// samples silod's VmRSS at a fixed period.
//
// Thread safety: each client thread owns one InFlight slot (Begin/End from
// that thread only); the watchdog reads every slot. Start/Stop from the
// driver thread only.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace silo::reliability {

// One client's current call: start time (0: idle) and method name.
class InFlight {
 public:
  void Begin(const char* method);
  void End();

 private:
  friend class Watchdog;
  std::atomic<int64_t> start_ns_{0};       // steady clock; 0 when idle
  std::atomic<const char*> method_{""};   // a string literal
  int64_t reported_ns_ = 0;                // watchdog-only: start of the call already counted
};

struct RssSample {
  double seconds;  // since Start()
  double mib;
};

// VmRSS of `pid` in MiB, or -1 when unreadable.
double ReadRssMib(pid_t pid);

class Watchdog {
 public:
  Watchdog(pid_t pid, std::vector<InFlight*> slots, std::chrono::seconds stuck_after,
           std::chrono::seconds rss_period);
  ~Watchdog();  // stops the thread

  void Start();  // takes the first RSS sample, then starts the thread
  void Stop();   // takes the last RSS sample; idempotent

  int deadlocks() const { return deadlocks_.load(); }
  // Valid after Stop().
  const std::vector<RssSample>& rss() const { return rss_; }

 private:
  void Loop();
  void Sample();
  void DumpStacks(const std::string& why);

  pid_t pid_;
  std::vector<InFlight*> slots_;
  std::chrono::seconds stuck_after_, rss_period_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
  std::atomic<int> deadlocks_{0};
  int dumps_ = 0;
  std::vector<RssSample> rss_;  // written by the watchdog thread, then by Stop() after join
};

}  // namespace silo::reliability
