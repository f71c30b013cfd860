#pragma once
// Containers in memory, backed by the metadata database. See indexed_store.h
// for the write rule (database first, memory after commit) and thread safety.
//
// Update enforces the container state machine (model/container.h; the state
// comes from the timestamps) and keeps id and sandbox_id immutable. Add fails
// with FailedPrecondition when the sandbox row does not exist.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/model/container.h"
#include "runtime/store/indexed_store.h"
#include "runtime/store/metadata_db.h"

namespace silo::runtime::store {

// All set fields must match (AND), as CRI's ContainerFilter.
struct ContainerFilter {
  std::string id = {};          // exact id or unique prefix; an unresolvable one matches nothing
  std::string sandbox_id = {};  // exact: resolve a prefix with SandboxStore::ResolveId first
  std::optional<model::ContainerState> state = {};
  std::map<std::string, std::string> labels = {};
};

class ContainerStore {
 public:
  using UpdateFn = std::function<absl::Status(model::ContainerRecord&)>;

  // `db` is not owned and must outlive the store.
  explicit ContainerStore(MetadataDb* db);

  absl::Status Load();
  absl::Status Add(model::ContainerRecord record);
  absl::StatusOr<model::ContainerRecord> Get(const std::string& id_or_prefix) const;
  absl::StatusOr<std::string> ResolveId(const std::string& prefix) const;
  std::vector<model::ContainerRecord> List(const ContainerFilter& filter = {}) const;
  // Calls `visit` on each record `filter` accepts, ordered by id, under the
  // store's shared lock and without copying; `visit` must not call the store.
  void Visit(const ContainerFilter& filter, const std::function<void(const model::ContainerRecord&)>& visit) const;
  absl::StatusOr<model::ContainerRecord> Update(const std::string& id, const UpdateFn& fn);
  absl::Status Delete(const std::string& id);
  size_t size() const { return store_.size(); }

 private:
  IndexedStore<model::ContainerRecord> store_;
};

}  // namespace silo::runtime::store
