#pragma once
// Sandboxes in memory, backed by the metadata database. See indexed_store.h
// for the write rule (database first, memory after commit) and thread safety.
//
// Update enforces the sandbox state machine (model/sandbox.h) and keeps id and
// metadata immutable, so no caller can persist an illegal transition.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/model/sandbox.h"
#include "runtime/store/indexed_store.h"
#include "runtime/store/metadata_db.h"

namespace silo::runtime::store {

// All set fields must match (AND), as CRI's PodSandboxFilter.
struct SandboxFilter {
  std::string id = {};  // exact id or unique prefix; an unresolvable one matches nothing
  std::optional<model::SandboxState> state = {};
  std::map<std::string, std::string> labels = {};  // every pair must be present
};

class SandboxStore {
 public:
  using UpdateFn = std::function<absl::Status(model::SandboxRecord&)>;

  // `db` is not owned and must outlive the store.
  explicit SandboxStore(MetadataDb* db);

  absl::Status Load();
  absl::Status Add(model::SandboxRecord record);
  absl::StatusOr<model::SandboxRecord> Get(const std::string& id_or_prefix) const;
  absl::StatusOr<std::string> ResolveId(const std::string& prefix) const;
  std::vector<model::SandboxRecord> List(const SandboxFilter& filter = {}) const;
  // Calls `visit` on each record `filter` accepts, ordered by id, under the
  // store's shared lock and without copying; `visit` must not call the store.
  void Visit(const SandboxFilter& filter, const std::function<void(const model::SandboxRecord&)>& visit) const;
  absl::StatusOr<model::SandboxRecord> Update(const std::string& id, const UpdateFn& fn);
  // FailedPrecondition while containers of the sandbox are still stored.
  absl::Status Delete(const std::string& id);
  size_t size() const { return store_.size(); }

 private:
  IndexedStore<model::SandboxRecord> store_;
};

}  // namespace silo::runtime::store
