#pragma once
// The mixed CRI workload the crash driver runs while it kills silod: each
// Worker owns its pods and containers (no two workers touch one object) and
// remembers what silod acknowledged, so the driver can check durability.
//
// Threading: Run() loops on its own thread; between operations it passes
// the Gate, which the driver closes around a kill, restart and check. While
// the gate is closed the driver may read and fix the workers' models.

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "tests/reliability/invariants.h"
#include "tests/reliability/reliability_env.h"

namespace silo::reliability {

// Lets workers run one operation at a time while open. Close() stops new
// operations at once (those in flight go on: they meet the kill);
// WaitIdle() then waits until no worker is inside one.
class Gate {
 public:
  // Blocks while closed; false once Shutdown() was called.
  bool Enter();
  void Leave();
  void Close();
  void WaitIdle();
  void Open();
  void Shutdown();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false, shutdown_ = false;
  int inside_ = 0;
};

struct Counters {
  std::atomic<int> ops{0}, acked{0}, failed{0}, execs{0}, pulls{0}, unexpected{0};
};

class Worker {
 public:
  struct Pod {
    ::runtime::v1::PodSandboxConfig config;
    bool ready = true;  // false: its state is unknown or stopped
  };
  enum class CState { kCreated, kRunning, kStopped, kUnknown };
  struct Container {
    std::string pod_id, log_path;
    CState state = CState::kCreated;
  };

  Worker(int index, uint32_t seed, Env* env, Gate* gate, Counters* counters,
         std::vector<std::string>* violations, std::mutex* violations_mu);

  void Run();

  // Driver side, gate closed.
  void AddExpectations(Expectations* e) const;
  // Re-learns uncertain states from `listing` and drops objects silod no
  // longer has; returns the ids it owns, so the driver can find orphans.
  void Reconcile(const Listing& listing, std::set<std::string>* owned);

 private:
  void Step();
  void RunPod();
  void CreateContainer();
  void StartContainer();
  void Exec();
  void StopContainer();
  void RemoveContainer();
  void RemovePod();
  void ChurnImage();
  void Violation(const std::string& what);
  template <typename Map, typename Pred>
  std::string Pick(const Map& m, Pred pred);

  int index_;
  std::mt19937 rng_;
  Env* env_;
  Gate* gate_;
  Counters* counters_;
  std::vector<std::string>* violations_;
  std::mutex* violations_mu_;
  int next_name_ = 0;
  std::map<std::string, Pod> pods_;
  std::map<std::string, Container> containers_;
  std::set<std::string> pods_gone_, containers_gone_;
  bool churn_known_ = false;  // worker 0: the churn image's last RemoveImage was acked
};

}  // namespace silo::reliability
