#include "runtime/store/container_store.h"

#include "runtime/store/label_match.h"

namespace silo::runtime::store {

namespace {

absl::Status ValidateContainerUpdate(const model::ContainerRecord& before,
                                     const model::ContainerRecord& after) {
  if (after.id != before.id || after.sandbox_id != before.sandbox_id) {
    return absl::InvalidArgumentError("id and sandbox_id of a container are immutable");
  }
  return model::ValidateContainerTransition(before.State(), after.State());
}

}  // namespace

ContainerStore::ContainerStore(MetadataDb* db)
    : store_(db, {
                     .kind = "container",
                     .insert = [](Transaction& tx,
                                  const model::ContainerRecord& r) { return tx.InsertContainer(r); },
                     .update = [](Transaction& tx,
                                  const model::ContainerRecord& r) { return tx.UpdateContainer(r); },
                     .remove = [](Transaction& tx,
                                  const std::string& id) { return tx.DeleteContainer(id); },
                     .load = [](Transaction& tx) { return tx.ListContainers(); },
                     .validate_update = ValidateContainerUpdate,
                 }) {}

absl::Status ContainerStore::Load() { return store_.Load(); }

absl::Status ContainerStore::Add(model::ContainerRecord record) {
  return store_.Add(std::move(record));
}

absl::StatusOr<model::ContainerRecord> ContainerStore::Get(const std::string& id_or_prefix) const {
  return store_.Get(id_or_prefix);
}

absl::StatusOr<std::string> ContainerStore::ResolveId(const std::string& prefix) const {
  return store_.ResolveId(prefix);
}

std::vector<model::ContainerRecord> ContainerStore::List(const ContainerFilter& filter) const {
  std::vector<model::ContainerRecord> out;
  Visit(filter, [&out](const model::ContainerRecord& r) { out.push_back(r); });
  return out;
}

void ContainerStore::Visit(const ContainerFilter& filter,
                           const std::function<void(const model::ContainerRecord&)>& visit) const {
  std::string id;
  if (!filter.id.empty()) {
    absl::StatusOr<std::string> resolved = store_.ResolveId(filter.id);
    if (!resolved.ok()) return;
    id = *resolved;
  }
  store_.Visit(
      [&](const model::ContainerRecord& r) {
        if (!id.empty() && r.id != id) return false;
        if (!filter.sandbox_id.empty() && r.sandbox_id != filter.sandbox_id) return false;
        if (filter.state.has_value() && r.State() != *filter.state) return false;
        return LabelsMatch(r.labels, filter.labels);
      },
      visit);
}

absl::StatusOr<model::ContainerRecord> ContainerStore::Update(const std::string& id,
                                                              const UpdateFn& fn) {
  return store_.Update(id, fn);
}

absl::Status ContainerStore::Delete(const std::string& id) { return store_.Delete(id); }

}  // namespace silo::runtime::store
