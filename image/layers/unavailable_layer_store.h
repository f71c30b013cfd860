#pragma once
// The LayerStore of a silod that cannot make container root filesystems on
// this platform (its layer store is not built in): Prepare fails with the
// reason, and as nothing was ever prepared, Release and Remove have nothing
// to do. The platform reports the same reason as RuntimeReady=false, so
// kubelet sees the node not ready instead of failing each pod.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "image/layers/layer_store.h"

namespace silo::image {

class UnavailableLayerStore final : public LayerStore {
 public:
  explicit UnavailableLayerStore(absl::Status why) : why_(std::move(why)) {}

  absl::StatusOr<PreparedRootfs> Prepare(const std::string&, const std::vector<std::string>&) override { return why_; }
  absl::Status Release(const std::string&) override { return absl::OkStatus(); }
  absl::Status Remove(const std::string&) override { return absl::OkStatus(); }

 private:
  const absl::Status why_;
};

}  // namespace silo::image
