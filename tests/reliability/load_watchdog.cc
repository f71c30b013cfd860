#include "tests/reliability/load_watchdog.h"

#include <cstdio>
#include <iostream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "runtime/base/file_util.h"
#include "tests/reliability/reliability_env.h"

namespace silo::reliability {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Stack dumps are big; two tell the story of a hang.
constexpr int kMaxDumps = 2;

}  // namespace

void InFlight::Begin(const char* method) {
  method_.store(method);
  start_ns_.store(NowNs());
}

void InFlight::End() { start_ns_.store(0); }

double ReadRssMib(pid_t pid) {
  auto status = ReadFile(absl::StrCat("/proc/", pid, "/status"));
  if (!status.ok()) return -1;
  for (absl::string_view line : absl::StrSplit(*status, '\n')) {
    if (!absl::ConsumePrefix(&line, "VmRSS:")) continue;
    line = absl::StripAsciiWhitespace(line);
    absl::ConsumeSuffix(&line, "kB");
    int64_t kb = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &kb)) return static_cast<double>(kb) / 1024.0;
  }
  return -1;
}

Watchdog::Watchdog(pid_t pid, std::vector<InFlight*> slots, std::chrono::seconds stuck_after,
                   std::chrono::seconds rss_period)
    : pid_(pid), slots_(std::move(slots)), stuck_after_(stuck_after), rss_period_(rss_period) {}

Watchdog::~Watchdog() { Stop(); }

void Watchdog::Start() {
  start_ = std::chrono::steady_clock::now();
  Sample();
  thread_ = std::thread([this] { Loop(); });
}

void Watchdog::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  Sample();
}

void Watchdog::Sample() {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  rss_.push_back({secs, ReadRssMib(pid_)});
}

void Watchdog::Loop() {
  auto next_sample = start_ + rss_period_;
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stop_; })) {
    if (std::chrono::steady_clock::now() >= next_sample) {
      Sample();
      next_sample += rss_period_;
    }
    const int64_t limit = std::chrono::duration_cast<std::chrono::nanoseconds>(stuck_after_).count();
    const int64_t now = NowNs();
    for (InFlight* slot : slots_) {
      int64_t started = slot->start_ns_.load();
      if (started == 0 || now - started <= limit || slot->reported_ns_ == started) continue;
      slot->reported_ns_ = started;
      ++deadlocks_;
      std::string why = absl::StrCat(slot->method_.load(), " in flight for ", (now - started) / 1000000000, " s");
      std::cout << "DEADLOCK " << why << std::endl;
      lock.unlock();
      DumpStacks(why);
      lock.lock();
    }
  }
}

void Watchdog::DumpStacks(const std::string& why) {
  if (dumps_ >= kMaxDumps) return;
  ++dumps_;
  std::ostringstream out;
  out << "==== silod (pid " << pid_ << ") thread stacks: " << why << " ====\n";
  out << Capture(absl::StrCat("gdb -p ", pid_, " -batch -ex 'thread apply all bt' 2>&1 | grep -v '^\\[New LWP'"));
  out << "==== /proc/" << pid_ << "/task/*/stack ====\n";
  out << Capture(absl::StrCat("for t in /proc/", pid_,
                              "/task/*; do echo \"-- $t $(cat $t/comm)\"; cat $t/stack; done"));
  out << "==== end of stacks ====\n";
  std::cout << out.str() << std::flush;
}

}  // namespace silo::reliability
