#include "runtime/store/sandbox_store.h"

#include "runtime/store/label_match.h"

namespace silo::runtime::store {

namespace {

absl::Status ValidateSandboxUpdate(const model::SandboxRecord& before,
                                   const model::SandboxRecord& after) {
  if (after.id != before.id || !(after.metadata == before.metadata)) {
    return absl::InvalidArgumentError("id and metadata of a sandbox are immutable");
  }
  return model::ValidateSandboxTransition(before.state, after.state);
}

}  // namespace

SandboxStore::SandboxStore(MetadataDb* db)
    : store_(db, {
                     .kind = "sandbox",
                     .insert = [](Transaction& tx,
                                  const model::SandboxRecord& r) { return tx.InsertSandbox(r); },
                     .update = [](Transaction& tx,
                                  const model::SandboxRecord& r) { return tx.UpdateSandbox(r); },
                     .remove = [](Transaction& tx,
                                  const std::string& id) { return tx.DeleteSandbox(id); },
                     .load = [](Transaction& tx) { return tx.ListSandboxes(); },
                     .validate_update = ValidateSandboxUpdate,
                 }) {}

absl::Status SandboxStore::Load() { return store_.Load(); }

absl::Status SandboxStore::Add(model::SandboxRecord record) { return store_.Add(std::move(record)); }

absl::StatusOr<model::SandboxRecord> SandboxStore::Get(const std::string& id_or_prefix) const {
  return store_.Get(id_or_prefix);
}

absl::StatusOr<std::string> SandboxStore::ResolveId(const std::string& prefix) const {
  return store_.ResolveId(prefix);
}

std::vector<model::SandboxRecord> SandboxStore::List(const SandboxFilter& filter) const {
  std::vector<model::SandboxRecord> out;
  Visit(filter, [&out](const model::SandboxRecord& r) { out.push_back(r); });
  return out;
}

void SandboxStore::Visit(const SandboxFilter& filter,
                         const std::function<void(const model::SandboxRecord&)>& visit) const {
  std::string id;
  if (!filter.id.empty()) {
    absl::StatusOr<std::string> resolved = store_.ResolveId(filter.id);
    if (!resolved.ok()) return;
    id = *resolved;
  }
  store_.Visit(
      [&](const model::SandboxRecord& r) {
        if (!id.empty() && r.id != id) return false;
        if (filter.state.has_value() && r.state != *filter.state) return false;
        return LabelsMatch(r.labels, filter.labels);
      },
      visit);
}

absl::StatusOr<model::SandboxRecord> SandboxStore::Update(const std::string& id,
                                                          const UpdateFn& fn) {
  return store_.Update(id, fn);
}

absl::Status SandboxStore::Delete(const std::string& id) { return store_.Delete(id); }

}  // namespace silo::runtime::store
