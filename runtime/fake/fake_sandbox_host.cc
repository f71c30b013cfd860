#include "runtime/fake/fake_sandbox_host.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace silo::runtime::fake {

void FakeSandboxHost::Log(std::string call) const { calls_.push_back(std::move(call)); }

absl::StatusOr<std::string> FakeSandboxHost::CreateNamespaces(const std::string& id,
                                                              const sandbox::NamespaceRequest& request) {
  silo::MutexLock lock(&mu_);
  Log(absl::StrCat("CreateNamespaces ", id));
  if (!fail_next_.ok()) {
    absl::Status error = fail_next_;
    fail_next_ = absl::OkStatus();
    return error;
  }
  if (!namespaces_.insert(id).second) return absl::AlreadyExistsError(absl::StrCat("namespaces of ", id, " exist"));
  return request.network ? NetworkNamespaceFor(id) : "";
}

absl::Status FakeSandboxHost::RemoveNamespaces(const std::string& id) {
  silo::MutexLock lock(&mu_);
  Log(absl::StrCat("RemoveNamespaces ", id));
  namespaces_.erase(id);
  return absl::OkStatus();
}

std::string FakeSandboxHost::NetworkNamespaceFor(const std::string& id) const {
  return absl::StrCat(name_, "-netns/", id);
}

bool FakeSandboxHost::NetworkNamespaceExists(const std::string& handle) const {
  const std::string prefix = absl::StrCat(name_, "-netns/");
  if (!absl::StartsWith(handle, prefix)) return false;
  silo::MutexLock lock(&mu_);
  return namespaces_.count(handle.substr(prefix.size())) != 0;
}

absl::StatusOr<std::vector<std::string>> FakeSandboxHost::ListNamespaces() const {
  silo::MutexLock lock(&mu_);
  return std::vector<std::string>(namespaces_.begin(), namespaces_.end());
}

absl::StatusOr<std::string> FakeSandboxHost::CreatePodGroup(const std::string& id) {
  silo::MutexLock lock(&mu_);
  Log(absl::StrCat("CreatePodGroup ", id));
  if (!groups_.insert(id).second) return absl::AlreadyExistsError(absl::StrCat("pod group of ", id, " exists"));
  return absl::StrCat(name_, "-group/", id);
}

absl::Status FakeSandboxHost::RemovePodGroup(const std::string& id) {
  silo::MutexLock lock(&mu_);
  Log(absl::StrCat("RemovePodGroup ", id));
  groups_.erase(id);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> FakeSandboxHost::ListPodGroups() const {
  silo::MutexLock lock(&mu_);
  return std::vector<std::string>(groups_.begin(), groups_.end());
}

void FakeSandboxHost::FailNextCreate(absl::Status error) {
  silo::MutexLock lock(&mu_);
  fail_next_ = std::move(error);
}

std::vector<std::string> FakeSandboxHost::Calls() const {
  silo::MutexLock lock(&mu_);
  return calls_;
}

bool FakeSandboxHost::HasNamespaces(const std::string& id) const {
  silo::MutexLock lock(&mu_);
  return namespaces_.count(id) != 0;
}

bool FakeSandboxHost::HasPodGroup(const std::string& id) const {
  silo::MutexLock lock(&mu_);
  return groups_.count(id) != 0;
}

}  // namespace silo::runtime::fake
