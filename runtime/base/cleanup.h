#pragma once
// A stack of undo actions for multi-step operations: each step pushes its undo
// after it succeeds; if the operation fails the stack runs in reverse when it
// goes out of scope. Dismiss() once the whole operation has succeeded.
//
// Not thread-safe; owned by one operation.

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace silo {

class CleanupStack {
 public:
  using Undo = std::function<absl::Status()>;

  CleanupStack() = default;
  CleanupStack(const CleanupStack&) = delete;
  CleanupStack& operator=(const CleanupStack&) = delete;
  ~CleanupStack() { (void)Run(); }

  void Push(std::string what, Undo undo) { steps_.push_back({std::move(what), std::move(undo)}); }
  void Dismiss() { steps_.clear(); }
  size_t size() const { return steps_.size(); }

  // Runs every pending undo, newest first, and returns the first failure (all
  // steps are still attempted so one failed undo cannot leak the rest).
  absl::Status Run() {
    absl::Status first;
    while (!steps_.empty()) {
      Step step = std::move(steps_.back());
      steps_.pop_back();
      absl::Status s = step.undo();
      if (!s.ok() && first.ok()) {
        first = absl::Status(s.code(), step.what + ": " + std::string(s.message()));
      }
    }
    return first;
  }

 private:
  struct Step {
    std::string what;
    Undo undo;
  };
  std::vector<Step> steps_;
};

}  // namespace silo
