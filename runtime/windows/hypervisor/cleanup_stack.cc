#include "runtime/windows/hypervisor/cleanup_stack.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace silo::runtime::windows::hypervisor {

CleanupStack::~CleanupStack() { (void)Unwind(); }

void CleanupStack::Push(std::string what, Action undo) { actions_.push_back({std::move(what), std::move(undo)}); }

absl::Status CleanupStack::Unwind() {
  std::vector<Entry> actions = std::move(actions_);
  actions_.clear();
  absl::Status first;
  std::string failures;
  for (auto it = actions.rbegin(); it != actions.rend(); ++it) {
    absl::Status s = it->undo();
    if (s.ok()) continue;
    if (first.ok()) first = s;
    absl::StrAppend(&failures, failures.empty() ? "" : "; ", it->what, ": ", s.message());
  }
  if (first.ok()) return first;
  return absl::Status(first.code(), absl::StrCat("cleanup failed: ", failures));
}

absl::Status CleanupStack::Rollback(const absl::Status& failure) {
  absl::Status undone = Unwind();
  if (undone.ok()) return failure;
  return absl::Status(failure.code(), absl::StrCat(failure.message(), "; rolling back: ", undone.message()));
}

}  // namespace silo::runtime::windows::hypervisor
