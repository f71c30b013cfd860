// Live restore: ContainerManager::Recover and the handling of containers
// whose monitor (silo-shim) is gone. See container_manager.h.
#include <chrono>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runtime/base/status_macros.h"
#include "runtime/container/container_manager.h"
#include "runtime/handler/handler.h"
#include "runtime/container/signals.h"
#include "spdlog/spdlog.h"

namespace silo::runtime::container {
namespace {

using model::ContainerRecord;
using model::ContainerState;

constexpr char kShimLost[] = "ShimLost";

std::string NameOf(const ContainerRecord& record, const model::SandboxMetadata& sandbox) {
  ::runtime::v1::ContainerMetadata md;
  md.set_name(record.metadata.name);
  md.set_attempt(record.metadata.attempt);
  ::runtime::v1::PodSandboxMetadata pod;
  pod.set_name(sandbox.name);
  pod.set_namespace_(sandbox.namespace_);
  pod.set_uid(sandbox.uid);
  pod.set_attempt(sandbox.attempt);
  return store::MakeContainerName(md, pod);
}

}  // namespace

absl::Status ContainerManager::Recover() {
  SILO_RETURN_IF_ERROR(store_->Load());
  std::set<std::string> owned;
  for (ContainerRecord loaded : store_->List()) {
    owned.insert(loaded.id);
    auto sandbox = sandboxes_->Status(loaded.sandbox_id);
    if (loaded.handler_type.empty() && sandbox.ok() && !sandbox->handler_type.empty()) {
      // Stored before handlers were recorded: the pod's handler runs it.
      auto pinned = store_->Update(loaded.id, [&](ContainerRecord& r) {
        r.runtime_handler = sandbox->runtime_handler;
        r.handler_type = sandbox->handler_type;
        return absl::OkStatus();
      });
      if (pinned.ok()) loaded = *pinned;
    }
    if (sandbox.ok()) {
      absl::Status s = names_.Reserve(NameOf(loaded, sandbox->metadata), loaded.id);
      if (!s.ok()) spdlog::warn("recovery: container {}: {}", loaded.id, std::string(s.message()));
    } else {
      // Its state is still reconciled below; kubelet's garbage collection
      // removes containers whose pod is gone (RemoveContainer needs no pod).
      spdlog::warn("recovery: container {} belongs to sandbox {}, which is gone; left for removal", loaded.id,
                   loaded.sandbox_id);
    }
    const ContainerState before = loaded.State();
    if (before != ContainerState::kRunning && before != ContainerState::kCreated) continue;
    auto record = Refresh(loaded);  // reconnects; records exits that happened while silod was down
    if (!record.ok()) {
      spdlog::warn("recovery: container {}: {}", loaded.id, std::string(record.status().message()));
      continue;
    }
    const ContainerState after = record->State();
    if (after == before) {
      spdlog::info("recovery: container {} reconnected to its shim ({})", loaded.id,
                   model::ContainerStateName(after));
    } else if (after == ContainerState::kExited && !record->unknown && record->reason != kShimLost) {
      spdlog::info("recovery: container {} exited while silod was down (exit code {})", loaded.id,
                   record->exit_code);
    }
    // ReconcileLostMonitor logs the other outcomes itself.
  }
  CollectOrphans(owned);
  return absl::OkStatus();
}

absl::StatusOr<ContainerRecord> ContainerManager::ReconcileLostMonitor(const ContainerRecord& record) {
  absl::StatusOr<std::optional<ProcessState>> recorded = std::nullopt;
  if (absl::StatusOr<ContainerHost*> host = HostOf(record); host.ok()) {
    recorded = (*host)->RecordedExit(record.id);
  } else {
    recorded = host.status();
  }
  if (!recorded.ok()) {
    spdlog::warn("container {}: exit record unreadable: {}", record.id, std::string(recorded.status().message()));
  }
  bool changed = false;
  const bool exited = recorded.ok() && recorded->has_value();
  auto updated = store_->Update(record.id, [&](ContainerRecord& r) {
    // Another caller may have settled it meanwhile (Refresh runs unlocked).
    const ContainerState now = r.State();
    if (now != ContainerState::kRunning && now != ContainerState::kCreated) return absl::OkStatus();
    changed = true;
    if (exited) {
      const ProcessState& state = **recorded;
      r.finished_at_ns = state.exited_at_ns != 0 ? state.exited_at_ns : absl::GetCurrentTimeNanos();
      r.exit_code = state.exit_code;
      r.reason = state.exit_code == 0 ? "Completed" : "Error";
      r.unknown = false;
      return absl::OkStatus();
    }
    r.unknown = true;
    r.reason = kShimLost;
    r.message = absl::StrCat("the container's shim (", r.host_handle,
                             ") is gone and recorded no exit; its processes are unmonitored and its exit code "
                             "is unknown");
    return absl::OkStatus();
  });
  if (!updated.ok()) return updated.status();
  if (!changed) return updated;
  if (exited) {
    spdlog::info("container {}: shim gone; exit code {} taken from its exit record", record.id,
                 updated->exit_code);
    // A container that ran is STOPPED now; one that never started ends here too.
    Emit(events::EventType::kStopped, record.id, record.sandbox_id);
  } else {
    spdlog::warn("container {}: shim gone with no exit record; marked UNKNOWN (reason {})", record.id, kShimLost);
  }
  return updated;
}

absl::Status ContainerManager::StopUnmonitored(const ContainerRecord& record) {
  SILO_ASSIGN_OR_RETURN(ContainerHost * host, HostOf(record));
  SILO_RETURN_IF_ERROR(Annotate(host->KillUnmonitored(record.id), absl::StrCat("StopContainer ", record.id)));
  auto updated = store_->Update(record.id, [](ContainerRecord& r) {
    r.finished_at_ns = absl::GetCurrentTimeNanos();
    r.exit_code = 128 + signals::kKill;
    r.unknown = false;
    r.reason = kShimLost;
    r.message = "stopped without its shim: killed by silod; the exit code is assumed";
    return absl::OkStatus();
  });
  SILO_RETURN_IF_ERROR(updated.status());
  spdlog::info("container {}: stopped without its shim (killed, marked EXITED)", record.id);
  Emit(events::EventType::kStopped, record.id, record.sandbox_id);
  return absl::OkStatus();
}

void ContainerManager::CollectOrphans(std::set<std::string> owned) {
  // Every configured handler's host: objects no record owns belong to none.
  for (size_t i = 0; i < handlers_->Specs().size(); ++i) {
    ContainerHost& host = handlers_->At(i).Containers();
    const std::string& handler = handlers_->Specs()[i].name;
    auto ids = host.ListHostContainers();
    if (!ids.ok()) {
      spdlog::warn("recovery: cannot list the containers of handler \"{}\": {}", handler,
                   std::string(ids.status().message()));
      continue;
    }
    for (const std::string& id : *ids) {
      // Handlers of one type share their host objects: remove each once.
      if (!owned.insert(id).second) continue;
      absl::Status s = host.RemoveOrphan(id);
      if (s.ok()) s = layers_->Remove(id);
      if (s.ok()) {
        spdlog::info("recovery: removed orphaned container objects of {} (handler \"{}\"; no record owns them)", id,
                     handler);
      } else {
        spdlog::warn("recovery: cannot remove orphaned container objects of {}: {}", id, std::string(s.message()));
      }
    }
  }
}

}  // namespace silo::runtime::container
