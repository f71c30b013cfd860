#pragma once
// An in-memory PodNetwork for unit tests: Attach hands out 10.88.0.N to the
// pods it has not seen, Detach releases them (idempotent, as CNI DEL is).
// Attaching a pod twice without a Detach is AlreadyExists, so a test sees a
// manager that forgets to detach before re-attaching.

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "network/pod_network.h"
#include "runtime/base/mutex.h"

namespace silo::network::fake {

class FakePodNetwork final : public PodNetwork {
 public:
  absl::Status Ready() const override {
    silo::MutexLock lock(&mu_);
    return ready_;
  }
  absl::StatusOr<Attachment> Attach(const AttachRequest& request) override {
    silo::MutexLock lock(&mu_);
    if (!fail_attach_.ok()) return fail_attach_;
    if (attached_.count(request.sandbox_id) != 0) {
      return absl::AlreadyExistsError(absl::StrCat("pod ", request.sandbox_id, " is attached already"));
    }
    Attachment a{absl::StrCat("10.88.0.", ++next_), {}};
    attached_[request.sandbox_id] = a.ip;
    return a;
  }
  absl::Status Detach(const AttachRequest& request) override {
    silo::MutexLock lock(&mu_);
    attached_.erase(request.sandbox_id);
    detached_.push_back(request.sandbox_id);
    return absl::OkStatus();
  }

  void SetReady(absl::Status ready) {
    silo::MutexLock lock(&mu_);
    ready_ = std::move(ready);
  }
  void FailAttach(absl::Status error) {
    silo::MutexLock lock(&mu_);
    fail_attach_ = std::move(error);
  }
  // Pods attached now, by sandbox id -> IP.
  std::map<std::string, std::string> Attached() const {
    silo::MutexLock lock(&mu_);
    return attached_;
  }
  std::vector<std::string> Detached() const {
    silo::MutexLock lock(&mu_);
    return detached_;
  }

 private:
  mutable silo::Mutex mu_;
  absl::Status ready_ ABSL_GUARDED_BY(mu_);
  absl::Status fail_attach_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> attached_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> detached_ ABSL_GUARDED_BY(mu_);
  int next_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace silo::network::fake
