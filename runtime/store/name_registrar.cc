#include "runtime/store/name_registrar.h"

#include "cri/api/cri.h"
#include "absl/strings/str_cat.h"

namespace silo::runtime::store {

std::string MakeSandboxName(const ::runtime::v1::PodSandboxMetadata& s) {
  return absl::StrCat(s.name(), "_", s.namespace_(), "_", s.uid(), "_", s.attempt());
}

std::string MakeContainerName(const ::runtime::v1::ContainerMetadata& c,
                              const ::runtime::v1::PodSandboxMetadata& s) {
  return absl::StrCat(c.name(), "_", s.name(), "_", s.namespace_(), "_", s.uid(), "_",
                      c.attempt());
}

absl::Status NameRegistrar::Reserve(const std::string& name, const std::string& key) {
  if (name.empty() || key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot reserve name '", name, "' for key '", key, "': both must be set"));
  }
  silo::MutexLock lock(&mu_);
  auto it = key_by_name_.find(name);
  if (it != key_by_name_.end()) {
    if (it->second == key) return absl::OkStatus();
    return absl::AlreadyExistsError(
        absl::StrCat("name ", name, " is reserved for ", it->second));
  }
  auto held = name_by_key_.find(key);
  if (held != name_by_key_.end()) {
    return absl::AlreadyExistsError(
        absl::StrCat("key ", key, " already holds name ", held->second));
  }
  key_by_name_.emplace(name, key);
  name_by_key_.emplace(key, name);
  return absl::OkStatus();
}

void NameRegistrar::Release(const std::string& name) {
  silo::MutexLock lock(&mu_);
  auto it = key_by_name_.find(name);
  if (it == key_by_name_.end()) return;
  name_by_key_.erase(it->second);
  key_by_name_.erase(it);
}

void NameRegistrar::ReleaseByKey(const std::string& key) {
  silo::MutexLock lock(&mu_);
  auto it = name_by_key_.find(key);
  if (it == name_by_key_.end()) return;
  key_by_name_.erase(it->second);
  name_by_key_.erase(it);
}

absl::StatusOr<std::string> NameRegistrar::Get(const std::string& name) const {
  silo::MutexLock lock(&mu_);
  auto it = key_by_name_.find(name);
  if (it == key_by_name_.end()) {
    return absl::NotFoundError(absl::StrCat("name ", name, " is not reserved"));
  }
  return it->second;
}

}  // namespace silo::runtime::store
