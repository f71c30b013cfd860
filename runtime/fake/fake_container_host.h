#pragma once
// An in-memory ContainerHost for unit tests that need no root: each
// container is a state machine (created -> running -> exited) driven by the
// calls and by ExitNow(), which plays a process that ends by itself.
//
// Strict like the real hosts: a handle must be the one Create returned for
// that id, Start needs a created container, Exec and ReopenLog a running
// one, creating an existing id is AlreadyExists; Remove is idempotent. Exit
// watches fire on the host's own thread and honour ExitWatch's contract (no
// callback once the watch is destroyed). Every call is logged ("Start
// <id>"), so a test can tell which handler's host a call reached.

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/base/mutex.h"
#include "runtime/container/container_host.h"

namespace silo::runtime::fake {

class FakeContainerHost final : public container::ContainerHost {
 public:
  // `name` prefixes the handles it returns ("<name>://<id>").
  explicit FakeContainerHost(std::string name);
  ~FakeContainerHost() override;

  absl::StatusOr<std::string> Create(const container::CreateSpec& spec) override;
  absl::Status Start(const std::string& id, const std::string& handle) override;
  absl::Status Kill(const std::string& id, const std::string& handle, int signal) override;
  absl::StatusOr<container::ProcessState> State(const std::string& id, const std::string& handle) override;
  absl::StatusOr<container::ProcessState> Wait(const std::string& id, const std::string& handle,
                                               std::chrono::milliseconds timeout) override;
  std::unique_ptr<container::ExitWatch> WatchExit(const std::string& id, const std::string& handle,
                                                  std::function<void()> on_exit) override;
  absl::StatusOr<container::ExecResult> Exec(const std::string& id, const std::string& handle,
                                             const std::vector<std::string>& args,
                                             std::chrono::milliseconds timeout) override;
  absl::Status ReopenLog(const std::string& id, const std::string& handle) override;
  absl::Status Remove(const std::string& id, const std::string& handle) override;
  absl::StatusOr<std::vector<std::string>> ListHostContainers() override;
  absl::Status RemoveOrphan(const std::string& id) override;

  // The main process of a running container exits with `code`.
  void ExitNow(const std::string& id, int code);
  // While set, SIGTERM is ignored (a process that needs SIGKILL).
  void IgnoreSigterm(bool ignore);
  // Adds a container as if created by an earlier silod (recovery tests).
  void AddForeign(const std::string& id);
  std::vector<std::string> Calls() const;
  bool Has(const std::string& id) const;
  bool Running(const std::string& id) const;

 private:
  struct Container {
    std::string handle;
    bool started = false;
    bool exited = false;
    int exit_code = 0;
    int64_t exited_at_ns = 0;
    int pid = 0;
  };
  struct WatchState {
    // std's, as silo::Mutex is not recursive: a callback may destroy its own watch.
    std::recursive_mutex mu;
    bool done = false;
    std::function<void()> on_exit;
  };
  class Watch;

  absl::StatusOr<Container*> Find(const std::string& id, const std::string& handle) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Log(std::string call) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Marks the exit and queues the container's watches.
  void ExitLocked(const std::string& id, Container& c, int code) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static container::ProcessState StateOf(const Container& c);
  void Notifier();
  bool Woken() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) { return stopping_ || !queue_.empty(); }

  const std::string name_;
  mutable silo::Mutex mu_;
  std::map<std::string, Container> containers_ ABSL_GUARDED_BY(mu_);
  std::multimap<std::string, std::weak_ptr<WatchState>> watches_ ABSL_GUARDED_BY(mu_);
  bool ignore_sigterm_ ABSL_GUARDED_BY(mu_) = false;
  int next_pid_ ABSL_GUARDED_BY(mu_) = 1000;
  mutable std::vector<std::string> calls_ ABSL_GUARDED_BY(mu_);

  // Exit callbacks run here, never on a caller's thread.
  silo::Mutex queue_mu_ ABSL_ACQUIRED_AFTER(mu_);
  std::deque<std::shared_ptr<WatchState>> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool stopping_ ABSL_GUARDED_BY(queue_mu_) = false;
  std::thread notifier_;
};

}  // namespace silo::runtime::fake
