#pragma once
// The shared engine of SandboxStore and ContainerStore: an in-memory index of
// records (keyed by id, ordered so unique id prefixes resolve like
// containerd's truncindex) in front of the metadata database.
//
// Write rule: the database commits first, memory changes only after the
// commit. A failed write therefore leaves both exactly as they were; readers
// never see a record the database does not hold.
//
// Thread safety: all methods are thread-safe. Writers (Add, Update, Delete,
// Load) run one at a time under write_mu_, which they hold across their
// database transaction; readers take mu_ shared and never wait for disk I/O.
// An Update function runs under write_mu_: it may read the store but must not
// write to it.

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "runtime/base/mutex.h"
#include "runtime/base/status_macros.h"
#include "runtime/store/metadata_db.h"

namespace silo::runtime::store {

template <typename Record>
class IndexedStore {
 public:
  // How one record kind is persisted and which updates are legal.
  struct Hooks {
    const char* kind;  // "sandbox", "container": used in messages
    std::function<absl::Status(Transaction&, const Record&)> insert;
    std::function<absl::Status(Transaction&, const Record&)> update;
    std::function<absl::Status(Transaction&, const std::string&)> remove;
    std::function<absl::StatusOr<std::vector<Record>>(Transaction&)> load;
    // Checks an Update's before and after (state machine, immutable fields).
    std::function<absl::Status(const Record&, const Record&)> validate_update;
  };

  IndexedStore(MetadataDb* db, Hooks hooks) : db_(db), hooks_(std::move(hooks)) {}

  // Replaces the memory index with the database's content (start-up).
  absl::Status Load() {
    silo::MutexLock w(&write_mu_);
    std::vector<Record> loaded;
    SILO_RETURN_IF_ERROR(db_->InTransaction([&](Transaction& tx) -> absl::Status {
      SILO_ASSIGN_OR_RETURN(loaded, hooks_.load(tx));
      return absl::OkStatus();
    }));
    std::map<std::string, Record> fresh;
    for (Record& r : loaded) fresh.emplace(r.id, std::move(r));
    silo::MutexLock lock(&mu_);
    records_ = std::move(fresh);
    return absl::OkStatus();
  }

  // AlreadyExists if the id is known.
  absl::Status Add(Record record) {
    if (record.id.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(hooks_.kind, " record has an empty id"));
    }
    silo::MutexLock w(&write_mu_);
    {
      silo::ReaderMutexLock lock(&mu_);
      if (records_.count(record.id)) {
        return absl::AlreadyExistsError(absl::StrCat(hooks_.kind, " ", record.id, " already exists"));
      }
    }
    SILO_RETURN_IF_ERROR(
        db_->InTransaction([&](Transaction& tx) { return hooks_.insert(tx, record); }));
    silo::MutexLock lock(&mu_);
    std::string id = record.id;
    records_.emplace(std::move(id), std::move(record));
    return absl::OkStatus();
  }

  // The full id for an exact id or a unique prefix of one. InvalidArgument
  // for an empty or ambiguous prefix, NotFound if nothing matches.
  absl::StatusOr<std::string> ResolveId(const std::string& prefix) const {
    silo::ReaderMutexLock lock(&mu_);
    SILO_ASSIGN_OR_RETURN(auto it, FindLocked(prefix));
    return it->first;
  }

  // A copy of the record for an exact id or unique prefix (see ResolveId).
  absl::StatusOr<Record> Get(const std::string& id_or_prefix) const {
    silo::ReaderMutexLock lock(&mu_);
    SILO_ASSIGN_OR_RETURN(auto it, FindLocked(id_or_prefix));
    return it->second;
  }

  // Copies of the records `match` accepts, ordered by id.
  std::vector<Record> List(const std::function<bool(const Record&)>& match) const {
    std::vector<Record> out;
    Visit(match, [&out](const Record& r) { out.push_back(r); });
    return out;
  }

  // Calls `visit` on each record `match` accepts, ordered by id, without
  // copying it: List calls convert straight from the index. Both run under
  // the shared lock, so they must not call back into the store.
  void Visit(const std::function<bool(const Record&)>& match,
             const std::function<void(const Record&)>& visit) const {
    silo::ReaderMutexLock lock(&mu_);
    for (const auto& [id, r] : records_) {
      if (match(r)) visit(r);
    }
  }

  // Applies fn to a copy of record `id` (exact id), validates the change,
  // persists it and only then publishes it. On any error nothing changes.
  absl::StatusOr<Record> Update(const std::string& id,
                                const std::function<absl::Status(Record&)>& fn) {
    silo::MutexLock w(&write_mu_);
    Record before;
    {
      silo::ReaderMutexLock lock(&mu_);
      auto it = records_.find(id);
      if (it == records_.end()) return NotFound(id);
      before = it->second;
    }
    Record after = before;
    std::string context = absl::StrCat("update ", hooks_.kind, " ", id);
    SILO_RETURN_IF_ERROR(Annotate(fn(after), context));
    SILO_RETURN_IF_ERROR(Annotate(hooks_.validate_update(before, after), context));
    SILO_RETURN_IF_ERROR(Annotate(
        db_->InTransaction([&](Transaction& tx) { return hooks_.update(tx, after); }), context));
    silo::MutexLock lock(&mu_);
    records_[id] = after;
    return after;
  }

  // Removes record `id` (exact id): NotFound if unknown. Callers check that
  // removal is allowed (model::Validate*Removal); the store does not, so
  // recovery can drop records in any state.
  absl::Status Delete(const std::string& id) {
    silo::MutexLock w(&write_mu_);
    {
      silo::ReaderMutexLock lock(&mu_);
      if (!records_.count(id)) return NotFound(id);
    }
    SILO_RETURN_IF_ERROR(db_->InTransaction([&](Transaction& tx) { return hooks_.remove(tx, id); }));
    silo::MutexLock lock(&mu_);
    records_.erase(id);
    return absl::OkStatus();
  }

  size_t size() const {
    silo::ReaderMutexLock lock(&mu_);
    return records_.size();
  }

 private:
  using Map = std::map<std::string, Record>;

  absl::Status NotFound(const std::string& id) const {
    return absl::NotFoundError(absl::StrCat(hooks_.kind, " ", id, " not found"));
  }

  // Ids sort lexicographically, so every id starting with `prefix` sits in one
  // run beginning at lower_bound(prefix); two entries in the run mean ambiguity.
  absl::StatusOr<typename Map::const_iterator> FindLocked(const std::string& prefix) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    if (prefix.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("empty ", hooks_.kind, " id"));
    }
    auto it = records_.lower_bound(prefix);
    if (it == records_.end() || !absl::StartsWith(it->first, prefix)) {
      return absl::NotFoundError(absl::StrCat(hooks_.kind, " ", prefix, " not found"));
    }
    if (it->first == prefix) return it;
    auto next = std::next(it);
    if (next != records_.end() && absl::StartsWith(next->first, prefix)) {
      return absl::InvalidArgumentError(absl::StrCat(hooks_.kind, " id prefix '", prefix,
                                                     "' is ambiguous (", it->first, ", ",
                                                     next->first, ", ...)"));
    }
    return it;
  }

  MetadataDb* const db_;
  const Hooks hooks_;
  silo::Mutex write_mu_;
  mutable silo::Mutex mu_ ABSL_ACQUIRED_AFTER(write_mu_);
  Map records_ ABSL_GUARDED_BY(mu_);  // written only while write_mu_ is held too
};

}  // namespace silo::runtime::store
