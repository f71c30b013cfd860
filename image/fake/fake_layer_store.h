#pragma once
// An in-memory LayerStore for unit tests that need no root. Strict like the
// overlay store: Prepare of an id that has a writable layer is
// AlreadyExists; Release and Remove are idempotent. Every call is logged
// ("Prepare <id>"), and Prepare can be made to fail once.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "image/layers/layer_store.h"
#include "runtime/base/mutex.h"

namespace silo::image::fake {

class FakeLayerStore final : public LayerStore {
 public:
  // `layer_dir` names a chain id's read-only layer (the real snapshots when
  // the test pulls a real image); by default "/fake-layers/<chain id>".
  explicit FakeLayerStore(std::function<std::string(const std::string&)> layer_dir = nullptr)
      : layer_dir_(std::move(layer_dir)) {}

  absl::StatusOr<PreparedRootfs> Prepare(const std::string& container_id,
                                         const std::vector<std::string>& chain_ids) override;
  absl::Status Release(const std::string& container_id) override;
  absl::Status Remove(const std::string& container_id) override;

  void FailNextPrepare(absl::Status error);
  std::vector<std::string> Calls() const;
  // Whether `container_id` has a writable layer, and whether it is mounted.
  bool Has(const std::string& container_id) const;
  bool Mounted(const std::string& container_id) const;
  // The chain ids `container_id` was prepared from.
  std::vector<std::string> ChainOf(const std::string& container_id) const;

 private:
  struct Layer {
    std::vector<std::string> chain_ids;
    bool mounted = false;
  };

  const std::function<std::string(const std::string&)> layer_dir_;
  mutable silo::Mutex mu_;
  std::map<std::string, Layer> layers_ ABSL_GUARDED_BY(mu_);
  absl::Status fail_next_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> calls_ ABSL_GUARDED_BY(mu_);
};

}  // namespace silo::image::fake
