#pragma once
// Reserves sandbox and container names before any side effect, as
// containerd's registrar does, so a retried RunPodSandbox/CreateContainer
// cannot make a second copy.
//
// Contract: Reserve(name, key) succeeds if the name is free or already held by
// the same key (idempotent); a name held by another key is AlreadyExists
// naming the holder, and a key holds at most one name. Release of an unheld
// name is a no-op.
// Thread safety: every method is thread-safe. Names live in memory only: at
// start-up silod reserves the names of every loaded record.

#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cri/api/cri_fwd.h"
#include "runtime/base/mutex.h"

namespace silo::runtime::store {

// containerd's spelling: <name>_<namespace>_<uid>_<attempt>.
std::string MakeSandboxName(const ::runtime::v1::PodSandboxMetadata& sandbox);
// containerd's spelling: <container>_<pod name>_<namespace>_<uid>_<container attempt>.
std::string MakeContainerName(const ::runtime::v1::ContainerMetadata& container,
                              const ::runtime::v1::PodSandboxMetadata& sandbox);

class NameRegistrar {
 public:
  // InvalidArgument for an empty name or key.
  absl::Status Reserve(const std::string& name, const std::string& key);
  void Release(const std::string& name);
  // Releases whatever name `key` holds (if any).
  void ReleaseByKey(const std::string& key);
  // The key holding `name`, or NotFound.
  absl::StatusOr<std::string> Get(const std::string& name) const;

 private:
  mutable silo::Mutex mu_;
  std::map<std::string, std::string> key_by_name_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> name_by_key_ ABSL_GUARDED_BY(mu_);
};

}  // namespace silo::runtime::store
