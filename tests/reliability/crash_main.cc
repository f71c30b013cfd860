// silo_reliability_crash: runs a mixed CRI workload (pulls, pods, printer
// containers, exec) on several threads against the real silod, SIGKILLs
// silod at seeded random moments, restarts it and checks the invariants of
// invariants.h after every restart. Then kills silo-shims (some while silod
// is down) and checks that their containers leave RUNNING with a reason and
// remove cleanly. Ends by removing everything and checking nothing is left.
//
//   silo_reliability_crash [--kills=30] [--shim-kills=6] [--workers=3] [--seed=N]
//
// Prints the seed first and a "RESULT ..." line last; exit 0 only with no
// violation, 77 when the
// machine lacks root, runc, busybox or CNI plugins.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tests/reliability/driver_flags.h"
#include "tests/reliability/invariants.h"
#include "tests/reliability/workload.h"

namespace silo::reliability {
namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  int kills = 30;
  int shim_kills = 6;
  int workers = 3;
  uint32_t seed = std::random_device{}();
};

bool ParseFlags(int argc, char** argv, Flags* f) {
  return DriverFlags()
      .Int("kills", &f->kills)
      .Int("shim-kills", &f->shim_kills)
      .Int("workers", &f->workers, 1)
      .Int("seed", &f->seed)
      .Parse(argc, argv);
}

class CrashDriver {
 public:
  CrashDriver(Env* env, const Flags& flags) : env_(env), flags_(flags), rng_(flags.seed) {}

  int Run() {
    auto start = Clock::now();
    if (!SetUpPrinter()) return Finish(start);
    std::vector<std::unique_ptr<Worker>> workers;
    std::vector<std::thread> threads;
    for (int w = 0; w < flags_.workers; ++w) {
      workers.push_back(std::make_unique<Worker>(w, flags_.seed, env_, &gate_, &counters_, &violations_, &mu_));
    }
    for (auto& w : workers) threads.emplace_back([w = w.get()] { w->Run(); });
    for (int k = 0; k < flags_.kills; ++k) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(50, 1500)(rng_)));
      int before = LastPrinterSeq();
      gate_.Close();
      int code = env_->KillSilod();
      gate_.WaitIdle();
      if (code != 128 + 9) Violation(absl::StrCat("kill ", k, ": silod exited with ", code, " before the kill"));
      if (!Restart(k)) break;
      ++kills_survived_;
      CheckRound(absl::StrCat("kill ", k), workers, before);
      if ((k + 1) % 10 == 0) {
        std::lock_guard lock(mu_);
        std::cout << "progress: " << k + 1 << " kills, " << violations_.size() << " violations" << std::endl;
      }
      gate_.Open();
    }
    gate_.Close();
    gate_.WaitIdle();
    gate_.Shutdown();
    for (auto& t : threads) t.join();
    if (env_->silod() == nullptr) return Finish(start);  // a restart failed
    // Leave the shim phase a world without the workers' objects.
    RemoveAllBut({printer_pod_}, {printer_});
    if (kills_survived_ == flags_.kills) ShimPhase();
    if (env_->silod() == nullptr) return Finish(start);
    Cleanup();
    return Finish(start);
  }

 private:
  void Violation(const std::string& what) {
    std::lock_guard lock(mu_);
    violations_.push_back(what);
  }

  int LastPrinterSeq() {
    std::vector<std::string> ignored;
    std::vector<int> seq = LogSequence(printer_log_, &ignored);
    return seq.empty() ? -1 : seq.back();
  }

  bool SetUpPrinter() {
    grpc::Status s = env_->Pull(env_->image());
    if (!s.ok()) return Fatal("pull " + env_->image() + ": " + s.error_message());
    printer_config_ = env_->Pod("printer-pod");
    s = env_->RunPod(printer_config_, &printer_pod_);
    if (!s.ok()) return Fatal("RunPodSandbox printer-pod: " + s.error_message());
    s = env_->CreateContainer(printer_pod_, printer_config_, env_->Printer("printer", "0.1"), &printer_);
    if (s.ok()) s = env_->StartContainer(printer_);
    if (!s.ok()) return Fatal("printer container: " + s.error_message());
    printer_log_ = printer_config_.log_directory() + "/printer/0.log";
    ::runtime::v1::PodSandboxStatusResponse st;
    if (env_->PodStatus(printer_pod_, &st).ok() && st.info().count("info")) {
      nlohmann::json info = nlohmann::json::parse(st.info().at("info"), nullptr, false);
      if (info.is_object()) {
        cgroup_parent_ =
            std::filesystem::path(info.value("cgroup_path", "")).parent_path().filename().string();
      }
    }
    if (!Eventually([&] { return LastPrinterSeq() >= 0; }, std::chrono::seconds(10))) {
      return Fatal("the printer never logged");
    }
    return true;
  }

  bool Fatal(const std::string& what) {
    Violation("fatal: " + what);
    return false;
  }

  bool Restart(int k) {
    absl::Status s = env_->StartSilod();
    if (s.ok()) return true;
    Fatal(absl::StrCat("restart after kill ", k, " failed: ", s.ToString()));
    return false;
  }

  // Checks the invariants, then adopts the world as silod reports it.
  void CheckRound(const std::string& round, std::vector<std::unique_ptr<Worker>>& workers, int printer_before) {
    Listing listing;
    if (!env_->ListPods(&listing.pods).ok() || !env_->ListContainers(&listing.containers).ok()) {
      Violation(round + ": List calls failed after restart");
      return;
    }
    Expectations expect;
    expect.pods.insert(printer_pod_);
    expect.containers.insert(printer_);
    expect.running.insert(printer_);
    expect.logs[printer_] = printer_log_;
    for (auto& w : workers) w->AddExpectations(&expect);
    std::vector<std::string> found;
    CheckInvariants(*env_, expect, listing, cgroup_parent_, &found);
    if (!Eventually([&] { return LastPrinterSeq() > printer_before + 1; }, std::chrono::seconds(5))) {
      found.push_back(absl::StrCat("the printer's log stopped growing after seq ", printer_before));
    }
    for (const auto& f : found) Violation(round + ": " + f);

    std::set<std::string> owned = {printer_pod_, printer_};
    for (auto& w : workers) w->Reconcile(listing, &owned);
    // Objects whose creating call got no answer: kubelet would remove them
    // on its next sync, and so do we.
    for (const auto& c : listing.containers) {
      if (owned.count(c.id())) continue;
      ++orphans_;
      if (grpc::Status s = env_->RemoveContainer(c.id()); !s.ok()) {
        Violation(round + ": RemoveContainer of orphan " + c.id() + ": " + s.error_message());
      }
    }
    for (const auto& p : listing.pods) {
      if (owned.count(p.id())) continue;
      ++orphans_;
      grpc::Status s = env_->StopPod(p.id());
      if (s.ok()) s = env_->RemovePod(p.id());
      if (!s.ok()) Violation(round + ": removing orphan pod " + p.id() + ": " + s.error_message());
    }
  }

  void RemoveAllBut(const std::set<std::string>& keep_pods, const std::set<std::string>& keep_containers) {
    std::vector<::runtime::v1::Container> containers;
    std::vector<::runtime::v1::PodSandbox> pods;
    env_->ListContainers(&containers);
    env_->ListPods(&pods);
    for (const auto& c : containers) {
      if (keep_containers.count(c.id())) continue;
      if (grpc::Status s = env_->RemoveContainer(c.id()); !s.ok()) {
        Violation("RemoveContainer " + c.id() + ": " + s.error_message());
      }
    }
    for (const auto& p : pods) {
      if (keep_pods.count(p.id())) continue;
      grpc::Status s = env_->StopPod(p.id());
      if (s.ok()) s = env_->RemovePod(p.id());
      if (!s.ok()) Violation("removing pod " + p.id() + ": " + s.error_message());
    }
  }

  // A killed shim must take its container out of RUNNING, with a reason, and
  // Stop and Remove must clean it up; every third shim dies while silod is down.
  void ShimPhase() {
    for (int i = 0; i < flags_.shim_kills; ++i) {
      std::string round = absl::StrCat("shim kill ", i);
      std::string id;
      grpc::Status s = env_->CreateContainer(printer_pod_, printer_config_, env_->Printer(absl::StrCat("victim", i)),
                                             &id);
      if (s.ok()) s = env_->StartContainer(id);
      if (!s.ok()) {
        Violation(round + ": victim container: " + s.error_message());
        continue;
      }
      pid_t shim = ShimPid(env_->state(), id);
      if (shim <= 0) {
        Violation(round + ": no shim for RUNNING container " + id);
        continue;
      }
      const bool silod_down = i % 3 == 2;
      int before = LastPrinterSeq();
      if (silod_down) env_->KillSilod();
      ::kill(shim, SIGKILL);
      if (!Eventually([&] { return ProcessDead(shim); }, std::chrono::seconds(10))) {
        Violation(round + ": shim did not die");
      }
      if (silod_down && !Restart(i)) return;
      ++shim_kills_;
      ::runtime::v1::ContainerStatus st;
      bool left_running = !Eventually(
          [&] { return env_->ContainerStatus(id, &st).ok() && st.state() != ::runtime::v1::CONTAINER_RUNNING; },
          std::chrono::seconds(15));
      if (left_running) {
        Violation(round + ": container " + id + " still RUNNING 15 s after its shim was killed");
      } else if (st.state() != ::runtime::v1::CONTAINER_EXITED && st.state() != ::runtime::v1::CONTAINER_UNKNOWN) {
        Violation(absl::StrCat(round, ": container ", id, " is in state ", st.state(), " after its shim died"));
      } else if (st.reason().empty()) {
        Violation(round + ": container " + id + " left RUNNING without a reason");
      }
      s = env_->StopContainer(id, 0);
      if (s.ok() && env_->ContainerStatus(id, &st).ok() && st.state() != ::runtime::v1::CONTAINER_EXITED) {
        Violation(absl::StrCat(round, ": container ", id, " is in state ", st.state(), " after StopContainer"));
      }
      if (s.ok()) s = env_->RemoveContainer(id);
      if (!s.ok()) Violation(round + ": stop/remove of " + id + ": " + s.error_message());
      if (ShimPid(env_->state(), id) > 0) Violation(round + ": a shim for " + id + " runs again");

      Listing listing;
      env_->ListPods(&listing.pods);
      env_->ListContainers(&listing.containers);
      Expectations expect;
      expect.pods.insert(printer_pod_);
      expect.containers.insert(printer_);
      expect.running.insert(printer_);
      expect.containers_gone.insert(id);
      expect.logs[printer_] = printer_log_;
      std::vector<std::string> found;
      CheckInvariants(*env_, expect, listing, cgroup_parent_, &found);
      if (silod_down &&
          !Eventually([&] { return LastPrinterSeq() > before + 1; }, std::chrono::seconds(5))) {
        found.push_back(absl::StrCat("the printer's log stopped growing after seq ", before));
      }
      for (const auto& f : found) Violation(round + ": " + f);
    }
  }

  void Cleanup() {
    RemoveAllBut({}, {});
    // A pull killed mid-download keeps its ingest for resumption by design;
    // one more pull completes it, so what remains after the removals is a leak.
    if (grpc::Status s = env_->Pull(env_->churn_image()); !s.ok()) {
      Violation("final pull of " + env_->churn_image() + ": " + s.error_message());
    }
    for (const std::string& ref : {env_->churn_image(), env_->image()}) {
      if (grpc::Status s = env_->RemoveImage(ref); !s.ok()) {
        Violation("RemoveImage " + ref + ": " + s.error_message());
      }
    }
    std::vector<std::string> found;
    CheckEmpty(*env_, cgroup_parent_, &found);
    for (const auto& f : found) Violation("final: " + f);
  }

  int Finish(Clock::time_point start) {
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    const int violations = static_cast<int>(violations_.size());
    for (const auto& v : violations_) std::cout << "VIOLATION " << v << "\n";
    std::cout << "RESULT crash seed=" << flags_.seed << " kills=" << kills_survived_ << "/" << flags_.kills
              << " shim_kills=" << shim_kills_ << "/" << flags_.shim_kills << " violations=" << violations
              << " ops=" << counters_.ops << " acked=" << counters_.acked << " failed=" << counters_.failed
              << " execs=" << counters_.execs << " image_churns=" << counters_.pulls << " orphans=" << orphans_
              << " seconds=" << static_cast<int>(secs) << std::endl;
    bool complete = kills_survived_ == flags_.kills && shim_kills_ == flags_.shim_kills;
    return violations == 0 && complete ? 0 : 1;
  }

  Env* env_;
  Flags flags_;
  std::mt19937 rng_;
  Gate gate_;
  Counters counters_;
  std::mutex mu_;
  std::vector<std::string> violations_;
  ::runtime::v1::PodSandboxConfig printer_config_;
  std::string printer_pod_, printer_, printer_log_, cgroup_parent_;
  int kills_survived_ = 0, shim_kills_ = 0, orphans_ = 0;
};

}  // namespace
}  // namespace silo::reliability

int main(int argc, char** argv) {
  using namespace silo::reliability;
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) return 2;
  if (!CanRunWithCni()) {
    std::cout << kNeedsRootRuncCni;
    return 77;
  }
  std::cout << "silo_reliability_crash: seed=" << flags.seed << " kills=" << flags.kills
            << " shim_kills=" << flags.shim_kills << " workers=" << flags.workers << std::endl;
  auto env = Env::Create({.cni = true});
  if (!env.ok()) {
    std::cout << "RESULT crash seed=" << flags.seed << " kills=0/" << flags.kills << " violations=1\n"
              << "VIOLATION fatal: setting up: " << env.status() << std::endl;
    return 1;
  }
  return CrashDriver(env->get(), flags).Run();
}
