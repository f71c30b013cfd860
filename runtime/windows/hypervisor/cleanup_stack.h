#pragma once
// CleanupStack: the undo actions of a multi-step setup, run in reverse.
// Each step that made something pushes how to unmake it; on failure (or
// destruction without Dismiss) every action runs, last first, and all of
// them run even when one fails, so one stuck resource does not leak the
// rest. After success the owner Dismisses the stack, or Takes the actions to
// run them itself at teardown. Not thread-safe.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace silo::runtime::windows::hypervisor {

class CleanupStack {
 public:
  using Action = std::function<absl::Status()>;

  CleanupStack() = default;
  ~CleanupStack();
  CleanupStack(const CleanupStack&) = delete;
  CleanupStack& operator=(const CleanupStack&) = delete;
  CleanupStack(CleanupStack&&) = default;
  CleanupStack& operator=(CleanupStack&&) = delete;

  // `what` names the undo in error messages ("terminating pod-1@vm").
  void Push(std::string what, Action undo);
  bool empty() const { return actions_.empty(); }
  size_t size() const { return actions_.size(); }

  // Runs every action, last pushed first, and empties the stack. OK when
  // all succeeded; otherwise the first failure's code with every failure
  // named in the message.
  absl::Status Unwind();
  // For a setup that failed with `failure`: Unwind, and return `failure`,
  // with the undo failures appended ("; rolling back: ...") if there were any.
  absl::Status Rollback(const absl::Status& failure);
  // Forgets the actions (the setup succeeded and they are not needed).
  void Dismiss() { actions_.clear(); }

 private:
  struct Entry {
    std::string what;
    Action undo;
  };
  std::vector<Entry> actions_;
};

}  // namespace silo::runtime::windows::hypervisor
