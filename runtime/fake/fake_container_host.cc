#include "runtime/fake/fake_container_host.h"

#include <signal.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

namespace silo::runtime::fake {

class FakeContainerHost::Watch final : public container::ExitWatch {
 public:
  explicit Watch(std::shared_ptr<WatchState> state) : state_(std::move(state)) {}
  ~Watch() override {
    // Waits for a running callback (unless this is it), then none follows.
    std::lock_guard<std::recursive_mutex> lock(state_->mu);
    state_->done = true;
  }

 private:
  std::shared_ptr<WatchState> state_;
};

FakeContainerHost::FakeContainerHost(std::string name) : name_(std::move(name)) {
  notifier_ = std::thread([this] { Notifier(); });
}

FakeContainerHost::~FakeContainerHost() {
  {
    silo::MutexLock lock(&queue_mu_);
    stopping_ = true;
  }
  notifier_.join();
}

void FakeContainerHost::Notifier() {
  while (true) {
    std::shared_ptr<WatchState> next;
    {
      silo::MutexLock lock(&queue_mu_);
      queue_mu_.Await(absl::Condition(this, &FakeContainerHost::Woken));
      if (queue_.empty()) return;
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    std::lock_guard<std::recursive_mutex> lock(next->mu);
    if (next->done) continue;
    next->done = true;
    next->on_exit();
  }
}

void FakeContainerHost::Log(std::string call) const { calls_.push_back(std::move(call)); }

absl::StatusOr<FakeContainerHost::Container*> FakeContainerHost::Find(const std::string& id,
                                                                     const std::string& handle) {
  auto it = containers_.find(id);
  if (it == containers_.end()) return absl::NotFoundError(absl::StrCat("container ", id, " is not on ", name_));
  if (it->second.handle != handle) {
    return absl::InvalidArgumentError(
        absl::StrCat("handle \"", handle, "\" is not container ", id, "'s (", it->second.handle, ")"));
  }
  return &it->second;
}

container::ProcessState FakeContainerHost::StateOf(const Container& c) {
  container::ProcessState s;
  s.started = c.started;
  s.exited = c.exited;
  s.exit_code = c.exit_code;
  s.exited_at_ns = c.exited_at_ns;
  s.pid = c.pid;
  return s;
}

void FakeContainerHost::ExitLocked(const std::string& id, Container& c, int code) {
  if (c.exited) return;
  c.exited = true;
  c.exit_code = code;
  c.exited_at_ns = absl::GetCurrentTimeNanos();
  std::vector<std::shared_ptr<WatchState>> fire;
  auto [begin, end] = watches_.equal_range(id);
  for (auto it = begin; it != end; ++it) {
    if (auto w = it->second.lock()) fire.push_back(std::move(w));
  }
  watches_.erase(id);
  silo::MutexLock lock(&queue_mu_);
  for (auto& w : fire) queue_.push_back(std::move(w));
}

absl::StatusOr<std::string> FakeContainerHost::Create(const container::CreateSpec& spec) {
  silo::MutexLock lock(&mu_);
  Log(absl::StrCat("Create ", spec.id));
  if (spec.sandbox == nullptr || spec.config == nullptr) {
    return absl::InvalidArgumentError("CreateSpec without its sandbox or config");
  }
  if (containers_.count(spec.id) != 0) return absl::AlreadyExistsError(absl::StrCat("container ", spec.id, " exists"));
  Container c;
  c.handle = absl::StrCat(name_, "://", spec.id);
  containers_[spec.id] = c;
  return c.handle;
}

absl::Status FakeContainerHost::Start(const std::string& id, const std::string& handle) {
  silo::MutexLock lock(&mu_);
  Log(absl::StrCat("Start ", id));
  absl::StatusOr<Container*> c = Find(id, handle);
  if (!c.ok()) return c.status();
  if ((*c)->started) return absl::FailedPreconditionError(absl::StrCat("container ", id, " was started already"));
  (*c)->started = true;
  (*c)->pid = next_pid_++;
  return absl::OkStatus();
}

absl::Status FakeContainerHost::Kill(const std::string& id, const std::string& handle, int signal) {
  silo::MutexLock lock(&mu_);
  Log(absl::StrCat("Kill ", id, " ", signal));
  absl::StatusOr<Container*> c = Find(id, handle);
  if (!c.ok()) return c.status();
  if (signal == SIGTERM && ignore_sigterm_) return absl::OkStatus();
  ExitLocked(id, **c, 128 + signal);
  return absl::OkStatus();
}

absl::StatusOr<container::ProcessState> FakeContainerHost::State(const std::string& id, const std::string& handle) {
  silo::MutexLock lock(&mu_);
  absl::StatusOr<Container*> c = Find(id, handle);
  if (!c.ok()) return c.status();
  return StateOf(**c);
}

absl::StatusOr<container::ProcessState> FakeContainerHost::Wait(const std::string& id, const std::string& handle,
                                                                std::chrono::milliseconds timeout) {
  silo::MutexLock lock(&mu_);
  absl::StatusOr<Container*> c = Find(id, handle);
  if (!c.ok()) return c.status();
  const std::string key = id;
  auto exited = [this, key]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = containers_.find(key);
    return it == containers_.end() || it->second.exited;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&exited), absl::FromChrono(timeout))) {
    return absl::DeadlineExceededError(absl::StrCat("container ", id, " still runs"));
  }
  auto it = containers_.find(key);
  if (it == containers_.end()) return absl::NotFoundError(absl::StrCat("container ", id, " was removed"));
  return StateOf(it->second);
}

std::unique_ptr<container::ExitWatch> FakeContainerHost::WatchExit(const std::string& id, const std::string& handle,
                                                                   std::function<void()> on_exit) {
  silo::MutexLock lock(&mu_);
  absl::StatusOr<Container*> c = Find(id, handle);
  if (!c.ok()) return nullptr;
  auto state = std::make_shared<WatchState>();
  state->on_exit = std::move(on_exit);
  if ((*c)->exited) {
    silo::MutexLock q(&queue_mu_);
    queue_.push_back(state);
  } else {
    watches_.emplace(id, state);
  }
  return std::make_unique<Watch>(std::move(state));
}

absl::StatusOr<container::ExecResult> FakeContainerHost::Exec(const std::string& id, const std::string& handle,
                                                              const std::vector<std::string>& args,
                                                              std::chrono::milliseconds) {
  silo::MutexLock lock(&mu_);
  Log(absl::StrCat("Exec ", id));
  absl::StatusOr<Container*> c = Find(id, handle);
  if (!c.ok()) return c.status();
  if (!(*c)->started || (*c)->exited) {
    return absl::FailedPreconditionError(absl::StrCat("container ", id, " is not running"));
  }
  container::ExecResult result;
  result.exit_code = !args.empty() && args[0] == "false" ? 1 : 0;
  result.stdout_data = absl::StrCat(name_, " ran: ", absl::StrJoin(args, " "), "\n");
  return result;
}

absl::Status FakeContainerHost::ReopenLog(const std::string& id, const std::string& handle) {
  silo::MutexLock lock(&mu_);
  Log(absl::StrCat("ReopenLog ", id));
  absl::StatusOr<Container*> c = Find(id, handle);
  if (!c.ok()) return c.status();
  if (!(*c)->started || (*c)->exited) {
    return absl::FailedPreconditionError(absl::StrCat("container ", id, " is not running"));
  }
  return absl::OkStatus();
}

absl::Status FakeContainerHost::Remove(const std::string& id, const std::string& handle) {
  silo::MutexLock lock(&mu_);
  Log(absl::StrCat("Remove ", id));
  auto it = containers_.find(id);
  if (it == containers_.end()) return absl::OkStatus();
  if (!handle.empty() && it->second.handle != handle) {
    return absl::InvalidArgumentError(absl::StrCat("handle \"", handle, "\" is not container ", id, "'s"));
  }
  ExitLocked(id, it->second, 128 + SIGKILL);
  containers_.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> FakeContainerHost::ListHostContainers() {
  silo::MutexLock lock(&mu_);
  std::vector<std::string> ids;
  for (const auto& [id, c] : containers_) ids.push_back(id);
  return ids;
}

absl::Status FakeContainerHost::RemoveOrphan(const std::string& id) {
  {
    silo::MutexLock lock(&mu_);
    Log(absl::StrCat("RemoveOrphan ", id));
  }
  return Remove(id, "");
}

void FakeContainerHost::ExitNow(const std::string& id, int code) {
  silo::MutexLock lock(&mu_);
  auto it = containers_.find(id);
  if (it != containers_.end() && it->second.started) ExitLocked(id, it->second, code);
}

void FakeContainerHost::IgnoreSigterm(bool ignore) {
  silo::MutexLock lock(&mu_);
  ignore_sigterm_ = ignore;
}

void FakeContainerHost::AddForeign(const std::string& id) {
  silo::MutexLock lock(&mu_);
  containers_[id].handle = absl::StrCat(name_, "://", id);
}

std::vector<std::string> FakeContainerHost::Calls() const {
  silo::MutexLock lock(&mu_);
  return calls_;
}

bool FakeContainerHost::Has(const std::string& id) const {
  silo::MutexLock lock(&mu_);
  return containers_.count(id) != 0;
}

bool FakeContainerHost::Running(const std::string& id) const {
  silo::MutexLock lock(&mu_);
  auto it = containers_.find(id);
  return it != containers_.end() && it->second.started && !it->second.exited;
}

}  // namespace silo::runtime::fake
