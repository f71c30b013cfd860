#pragma once
// An in-memory SandboxHost for unit tests that need no root. Strict like
// the real hosts: creating what exists is AlreadyExists, removing what does
// not is OK (idempotent). Every call is logged ("CreateNamespaces <id>") so
// a test can tell which handler's host a call reached.

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "runtime/base/mutex.h"
#include "runtime/sandbox/sandbox_host.h"

namespace silo::runtime::fake {

class FakeSandboxHost final : public sandbox::SandboxHost {
 public:
  // `name` prefixes the handles it returns ("<name>-netns/<id>").
  explicit FakeSandboxHost(std::string name) : name_(std::move(name)) {}

  absl::StatusOr<std::string> CreateNamespaces(const std::string& id, const sandbox::NamespaceRequest& request) override;
  absl::Status RemoveNamespaces(const std::string& id) override;
  std::string NetworkNamespaceFor(const std::string& id) const override;
  bool NetworkNamespaceExists(const std::string& handle) const override;
  absl::StatusOr<std::vector<std::string>> ListNamespaces() const override;
  absl::StatusOr<std::string> CreatePodGroup(const std::string& id) override;
  absl::Status RemovePodGroup(const std::string& id) override;
  absl::StatusOr<std::vector<std::string>> ListPodGroups() const override;

  // The next CreateNamespaces fails with `error` (once).
  void FailNextCreate(absl::Status error);
  std::vector<std::string> Calls() const;
  bool HasNamespaces(const std::string& id) const;
  bool HasPodGroup(const std::string& id) const;

 private:
  void Log(std::string call) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string name_;
  mutable silo::Mutex mu_;
  std::set<std::string> namespaces_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> groups_ ABSL_GUARDED_BY(mu_);
  absl::Status fail_next_ ABSL_GUARDED_BY(mu_);
  mutable std::vector<std::string> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace silo::runtime::fake
