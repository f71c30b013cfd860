#include "runtime/container/container_manager.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runtime/base/cleanup.h"
#include "runtime/base/durations.h"
#include "runtime/base/ids.h"
#include "runtime/base/saturating_time.h"
#include "runtime/base/status_macros.h"
#include "runtime/container/image_user.h"
#include "runtime/container/stop_signal.h"
#include "runtime/handler/handler.h"
#include "runtime/container/signals.h"
#include "spdlog/spdlog.h"

namespace silo::runtime::container {
namespace {

using model::ContainerRecord;
using model::ContainerState;

::runtime::v1::PodSandboxMetadata ToCriMetadata(const model::SandboxMetadata& md) {
  ::runtime::v1::PodSandboxMetadata out;
  out.set_name(md.name);
  out.set_namespace_(md.namespace_);
  out.set_uid(md.uid);
  out.set_attempt(md.attempt);
  return out;
}

}  // namespace

ContainerManager::ContainerManager(store::ContainerStore* store, sandbox::SandboxManager* sandboxes,
                                   image::ImageManager* images, image::LayerStore* layers,
                                   const handler::HandlerRegistry* handlers, events::EventSink* events)
    : store_(store),
      sandboxes_(sandboxes),
      images_(images),
      layers_(layers),
      handlers_(handlers),
      events_(events) {}

absl::StatusOr<ContainerHost*> ContainerManager::HostOf(const ContainerRecord& record) const {
  SILO_ASSIGN_OR_RETURN(handler::RuntimeHandler * handler, handlers_->For(record.runtime_handler, record.handler_type));
  return &handler->Containers();
}

void ContainerManager::Emit(events::EventType type, const std::string& id, const std::string& sandbox_id) {
  if (events_ == nullptr) return;
  events_->Publish({events::EventKind::kContainer, type, id, sandbox_id, events::EventNowNs()});
}

absl::StatusOr<ContainerManager::Locked> ContainerManager::Lock(const std::string& id_or_prefix) {
  SILO_ASSIGN_OR_RETURN(ContainerRecord found, store_->Get(id_or_prefix));
  KeyedLocks::Hold hold = locks_.Exclusive(found.id);
  // Re-read: another call may have changed it while this one waited.
  SILO_ASSIGN_OR_RETURN(ContainerRecord record, store_->Get(found.id));
  return Locked{std::move(hold), std::move(record)};
}

// Recover() lives in container_recovery.cc.

absl::StatusOr<std::string> ContainerManager::Create(const std::string& sandbox_id,
                                                     const ::runtime::v1::ContainerConfig& config,
                                                     const ::runtime::v1::PodSandboxConfig& sandbox_config) {
  if (config.metadata().name().empty()) return absl::InvalidArgumentError("CreateContainer: metadata.name is required");
  if (config.image().image().empty()) return absl::InvalidArgumentError("CreateContainer: image is required");
  SILO_ASSIGN_OR_RETURN(model::SandboxRecord found, sandboxes_->Status(sandbox_id));
  // Held until the record is stored: the pod cannot stop or go meanwhile.
  KeyedLocks::Hold pod_hold = pod_locks_.Shared(found.id);
  SILO_ASSIGN_OR_RETURN(model::SandboxRecord sandbox, sandboxes_->Status(found.id));
  if (sandbox.state != model::SandboxState::kReady) {
    return absl::FailedPreconditionError(absl::StrCat("CreateContainer ", config.metadata().name(), ": sandbox ",
                                                      sandbox.id, " is ", model::SandboxStateName(sandbox.state),
                                                      ", not READY"));
  }
  // The sandbox's handler runs its containers.
  SILO_ASSIGN_OR_RETURN(handler::RuntimeHandler * handler,
                        handlers_->For(sandbox.runtime_handler, sandbox.handler_type));
  ContainerHost* const host = &handler->Containers();
  ::runtime::v1::PodSandboxMetadata pod_md =
      sandbox_config.has_metadata() ? sandbox_config.metadata() : ToCriMetadata(sandbox.metadata);
  const std::string name = store::MakeContainerName(config.metadata(), pod_md);
  const std::string id = NewId();
  SILO_RETURN_IF_ERROR(names_.Reserve(name, id));
  CleanupStack undo;
  undo.Push("release name", [this, name] {
    names_.Release(name);
    return absl::OkStatus();
  });

  SILO_ASSIGN_OR_RETURN(std::optional<image::ImageRecord> image, images_->Status(config.image().image()));
  if (!image.has_value()) {
    return absl::NotFoundError(absl::StrCat("CreateContainer ", name, ": image ", config.image().image(),
                                            " is not pulled"));
  }
  if (!image->config_loaded) {
    return absl::FailedPreconditionError(absl::StrCat("CreateContainer ", name, ": the config of image ", image->id,
                                                      " could not be read; pull the image again"));
  }
  const ImageConfig& image_config = image->config;

  // The rootfs before the spec: the user lookup reads the image's files.
  StepTimer rootfs_timer(Timing::kContainerStart, "rootfs");
  auto rootfs = layers_->Prepare(id, image->chain_ids);
  rootfs_timer.Done(rootfs.ok());
  if (!rootfs.ok()) return Annotate(rootfs.status(), absl::StrCat("CreateContainer ", name, ": rootfs"));
  undo.Push("remove rootfs", [this, id] { return layers_->Remove(id); });

  CreateSpec spec;
  spec.id = id;
  spec.sandbox = &sandbox;
  spec.sandbox_files_dir = sandboxes_->FilesDir(sandbox.id);
  spec.config = &config;
  spec.rootfs = rootfs->path;
  spec.layer_dirs = rootfs->layer_dirs;
  SILO_ASSIGN_OR_RETURN(spec.args, MergeArgs(config, image_config));
  spec.args_escaped = FirstArgIsEscapedCommandLine(config, image_config);
  spec.env = MergeEnv(config, image_config);
  spec.cwd = config.working_dir().empty() ? image_config.working_dir : config.working_dir();
  if (absl::Status s = SetSpecUser(config, image_config, &spec); !s.ok()) {
    return Annotate(s, absl::StrCat("CreateContainer ", name));
  }
  // The container's own stop_signal beats the image's StopSignal (as containerd).
  const std::string stop_signal = config.stop_signal() != ::runtime::v1::RUNTIME_DEFAULT
                                      ? ::runtime::v1::Signal_Name(config.stop_signal())
                                      : image_config.stop_signal;
  // Checked now so a bad StopSignal fails CreateContainer, not every stop.
  if (auto sig = ParseStopSignal(stop_signal); !sig.ok()) {
    return Annotate(sig.status(), absl::StrCat("CreateContainer ", name, ": image ", image->id));
  }
  if (!config.log_path().empty() && !sandbox.log_directory.empty()) {
    spec.log_path = absl::StrCat(sandbox.log_directory, "/", config.log_path());
  }

  KeyedLocks::Hold container_hold = locks_.Exclusive(id);
  StepTimer create_timer(Timing::kContainerStart, "create");
  auto handle = host->Create(spec);
  create_timer.Done(handle.ok());
  if (!handle.ok()) return Annotate(handle.status(), absl::StrCat("CreateContainer ", name));
  undo.Push("remove from host", [host, id, h = *handle] { return host->Remove(id, h); });

  ContainerRecord record;
  record.id = id;
  record.sandbox_id = sandbox.id;
  record.metadata = {config.metadata().name(), config.metadata().attempt()};
  record.image_ref = config.image().image();
  record.image_id = image->id;
  record.created_at_ns = absl::GetCurrentTimeNanos();
  record.labels.insert(config.labels().begin(), config.labels().end());
  record.annotations.insert(config.annotations().begin(), config.annotations().end());
  record.log_path = spec.log_path;
  record.SetConfig(config);
  record.host_handle = *handle;
  record.runtime_handler = sandbox.runtime_handler;
  record.handler_type = sandbox.handler_type;
  record.stop_signal = stop_signal;
  SILO_RETURN_IF_ERROR(Annotate(store_->Add(record), absl::StrCat("CreateContainer ", name)));
  undo.Dismiss();
  Emit(events::EventType::kCreated, id, record.sandbox_id);
  return id;
}

absl::Status ContainerManager::Start(const std::string& id_or_prefix) {
  SILO_ASSIGN_OR_RETURN(ContainerRecord found, store_->Get(id_or_prefix));
  // Never interleaved with the pod's cascade, which stops what it finds.
  KeyedLocks::Hold pod_hold = pod_locks_.Shared(found.sandbox_id);
  SILO_ASSIGN_OR_RETURN(Locked locked, Lock(found.id));
  ContainerRecord& record = locked.record;
  if (record.State() != ContainerState::kCreated) {
    return absl::FailedPreconditionError(absl::StrCat("StartContainer ", record.id, ": container is ",
                                                      model::ContainerStateName(record.State()), ", not CREATED"));
  }
  SILO_ASSIGN_OR_RETURN(ContainerHost * host, HostOf(record));
  // Taken before the start so a fast exit is never recorded before it.
  const int64_t started_at = absl::GetCurrentTimeNanos();
  StepTimer start_timer(Timing::kContainerStart, "start");
  absl::Status started = host->Start(record.id, record.host_handle);
  start_timer.Done(started.ok());
  if (!started.ok()) {
    // A failed start ends the container (EXITED with the error), as containerd does.
    auto ended = store_->Update(record.id, [&](ContainerRecord& r) {
      r.finished_at_ns = absl::GetCurrentTimeNanos();
      r.exit_code = 128;
      r.reason = "StartError";
      r.message = std::string(started.message());
      return absl::OkStatus();
    });
    if (ended.ok()) Emit(events::EventType::kStopped, record.id, record.sandbox_id);
    return started;
  }
  auto state = host->State(record.id, record.host_handle);
  bool settled_by_refresh = false;  // an unlocked Refresh (List) saw the start first
  absl::Status recorded = store_
                              ->Update(record.id,
                                       [&](ContainerRecord& r) {
                                         settled_by_refresh = r.started_at_ns != 0;
                                         if (!settled_by_refresh) r.started_at_ns = started_at;
                                         if (state.ok()) r.pid = state->pid;
                                         return absl::OkStatus();
                                       })
                              .status();
  if (!recorded.ok()) {
    // The caller is told the start failed, so the process must not run on
    // (the fault walk found it RUNNING): end it as a failed start, as containerd does.
    (void)host->Kill(record.id, record.host_handle, signals::kKill);
    (void)host->Wait(record.id, record.host_handle, std::chrono::seconds(10));
    (void)store_->Update(record.id, [&](ContainerRecord& r) {
      r.finished_at_ns = absl::GetCurrentTimeNanos();
      r.exit_code = 128;
      r.reason = "StartError";
      r.message = std::string(recorded.message());
      return absl::OkStatus();
    });
    return Annotate(recorded, absl::StrCat("StartContainer ", record.id));
  }
  if (!settled_by_refresh) Emit(events::EventType::kStarted, record.id, record.sandbox_id);
  EnsureWatched(record);
  return absl::OkStatus();
}

absl::StatusOr<ContainerRecord> ContainerManager::RecordExit(const ContainerRecord& record, const ProcessState& state) {
  const std::string& id = record.id;
  // Asked now, while the cgroup still exists; stored with the exit so the
  // reason outlives the cgroup and restarts of silod.
  absl::StatusOr<bool> oom = false;
  if (absl::StatusOr<ContainerHost*> host = HostOf(record); host.ok()) {
    oom = (*host)->OomKilled(id);
  } else {
    oom = host.status();
  }
  if (!oom.ok()) spdlog::warn("container {}: OOM state unknown: {}", id, std::string(oom.status().message()));
  const bool oom_killed = oom.ok() && *oom;
  bool already_exited = false;  // Refresh runs unlocked: two callers may race to record one exit
  auto updated = store_->Update(id, [&](ContainerRecord& r) {
    if (r.State() == ContainerState::kExited) {
      already_exited = true;
      return absl::OkStatus();
    }
    r.finished_at_ns = state.exited_at_ns != 0 ? state.exited_at_ns : absl::GetCurrentTimeNanos();
    r.exit_code = state.exit_code;
    r.reason = oom_killed ? "OOMKilled" : state.exit_code == 0 ? "Completed" : "Error";
    r.unknown = false;
    return absl::OkStatus();
  });
  // Callers record an exit only for a container that was running, so this is once per exit.
  if (updated.ok() && !already_exited) Emit(events::EventType::kStopped, id, updated->sandbox_id);
  return updated;
}

absl::StatusOr<ContainerRecord> ContainerManager::Refresh(const ContainerRecord& record) {
  const ContainerState current = record.State();
  if (current != ContainerState::kRunning && current != ContainerState::kCreated) return record;
  if (current == ContainerState::kRunning && Watched(record.id)) return record;
  absl::StatusOr<ContainerRecord> now = AskHost(record);
  if (now.ok() && now->State() == ContainerState::kRunning) EnsureWatched(*now);
  return now;
}

absl::StatusOr<ContainerRecord> ContainerManager::AskHost(const ContainerRecord& record) {
  const ContainerState current = record.State();  // RUNNING or CREATED (Refresh checked)
  SILO_ASSIGN_OR_RETURN(ContainerHost * host, HostOf(record));
  // A killed shim never answers again: settle the state now (container_recovery.cc).
  if (host->MonitorGone(record.id, record.host_handle)) return ReconcileLostMonitor(record);
  auto state = host->State(record.id, record.host_handle);
  if (!state.ok()) return record;
  if (current == ContainerState::kCreated) {
    if (!state->started) return record;
    // silod died inside StartContainer after the shim started the process
    // but before RUNNING was recorded: record the start now, or the
    // container would stay CREATED while it runs and every retry of
    // StartContainer would fail.
    bool settled_here = false;  // StartContainer may be recording it right now
    absl::StatusOr<ContainerRecord> started = store_->Update(record.id, [&](ContainerRecord& r) {
      settled_here = r.started_at_ns == 0 && r.finished_at_ns == 0;
      if (settled_here) {
        r.started_at_ns = absl::GetCurrentTimeNanos();
        r.pid = state->pid;
      }
      return absl::OkStatus();
    });
    if (!started.ok()) return record;
    if (settled_here) {
      spdlog::info("container {}: its process was started before silod recorded it; now RUNNING", record.id);
      Emit(events::EventType::kStarted, record.id, record.sandbox_id);
    }
    if (!state->exited) return *started;
  } else if (!state->exited) {
    return record;
  }
  return RecordExit(record, *state);
}

absl::Status ContainerManager::ExitedOr(const ContainerRecord& record, const absl::Status& error) {
  SILO_ASSIGN_OR_RETURN(ContainerHost * host, HostOf(record));
  // A signal fails when the process has just exited: that is a finished stop.
  auto state = host->State(record.id, record.host_handle);
  if (state.ok() && state->exited) return RecordExit(record, *state).status();
  return Annotate(error, absl::StrCat("StopContainer ", record.id));
}

absl::Status ContainerManager::Stop(const std::string& id_or_prefix, std::chrono::seconds timeout) {
  SILO_ASSIGN_OR_RETURN(Locked locked, Lock(id_or_prefix));
  SILO_ASSIGN_OR_RETURN(ContainerRecord record, Refresh(locked.record));
  SILO_ASSIGN_OR_RETURN(ContainerHost * host, HostOf(record));
  if (record.State() == ContainerState::kRunning && host->MonitorGone(record.id, record.host_handle)) {
    // Its shim died a moment ago and the exit watch has not said so yet:
    // settle that now instead of signalling through a dead socket.
    DropWatch(record.id);
    SILO_ASSIGN_OR_RETURN(record, ReconcileLostMonitor(record));
  }
  ContainerState state = record.State();
  if (state == ContainerState::kExited) return absl::OkStatus();
  if (state == ContainerState::kUnknown && host->MonitorGone(record.id, record.host_handle)) {
    return StopUnmonitored(record);
  }
  if (state == ContainerState::kCreated) {
    // Never started: end it without running anything.
    (void)host->Kill(record.id, record.host_handle, signals::kKill);
    SILO_RETURN_IF_ERROR(store_
                             ->Update(record.id,
                                      [](ContainerRecord& r) {
                                        r.finished_at_ns = absl::GetCurrentTimeNanos();
                                        r.exit_code = 128 + signals::kKill;
                                        r.reason = "Error";
                                        return absl::OkStatus();
                                      })
                             .status());
    Emit(events::EventType::kStopped, record.id, record.sandbox_id);
    return absl::OkStatus();
  }
  if (timeout.count() > 0) {
    // Validated at create; a record from an older silod has "" (SIGTERM).
    int stop_signal = ParseStopSignal(record.stop_signal).value_or(signals::kTerm);
    absl::Status killed = host->Kill(record.id, record.host_handle, stop_signal);
    if (killed.ok()) {
      auto exited =
          host->Wait(record.id, record.host_handle, SaturatingDurationCast<std::chrono::milliseconds>(timeout));
      if (exited.ok()) return RecordExit(record, *exited).status();
      if (exited.status().code() != absl::StatusCode::kDeadlineExceeded) return exited.status();
    } else {
      // A graceful signal that failed or timed out still ends in signals::kKill,
      // unless the process has just exited by itself.
      auto state = host->State(record.id, record.host_handle);
      if (state.ok() && state->exited) return RecordExit(record, *state).status();
      spdlog::warn("container {}: stop signal failed ({}); killing it", record.id, std::string(killed.message()));
    }
  }
  absl::Status killed = host->Kill(record.id, record.host_handle, signals::kKill);
  if (!killed.ok()) return ExitedOr(record, killed);
  SILO_ASSIGN_OR_RETURN(ProcessState exited, host->Wait(record.id, record.host_handle, std::chrono::seconds(30)));
  return RecordExit(record, exited).status();
}

absl::Status ContainerManager::Remove(const std::string& id_or_prefix) {
  auto found = store_->Get(id_or_prefix);
  if (absl::IsNotFound(found.status())) return absl::OkStatus();
  SILO_RETURN_IF_ERROR(found.status());
  const std::string id = found->id;
  StepTimer total(Timing::kContainerRemove, "total");
  KeyedLocks::Hold hold = locks_.Exclusive(id);
  auto record = store_->Get(id);
  if (absl::IsNotFound(record.status())) return absl::OkStatus();
  SILO_RETURN_IF_ERROR(record.status());
  // First, so the shim's going away is not taken for a lost monitor.
  DropWatch(id);
  SILO_ASSIGN_OR_RETURN(ContainerHost * host, HostOf(*record));
  SILO_RETURN_IF_ERROR(Annotate(host->Remove(id, record->host_handle), absl::StrCat("RemoveContainer ", id)));
  SILO_RETURN_IF_ERROR(Annotate(layers_->Remove(id), absl::StrCat("RemoveContainer ", id, ": rootfs")));
  SILO_RETURN_IF_ERROR(store_->Delete(id));
  names_.ReleaseByKey(id);
  Emit(events::EventType::kDeleted, id, record->sandbox_id);
  total.Done(true);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ContainerManager::RuntimeSpec(const ContainerRecord& record) const {
  SILO_ASSIGN_OR_RETURN(ContainerHost * host, HostOf(record));
  return host->RuntimeSpec(record.id);
}

absl::StatusOr<ContainerRecord> ContainerManager::Status(const std::string& id_or_prefix) {
  SILO_ASSIGN_OR_RETURN(ContainerRecord record, store_->Get(id_or_prefix));
  return Refresh(record);
}

std::vector<ContainerRecord> ContainerManager::List(const store::ContainerFilter& filter) {
  std::vector<ContainerRecord> out;
  Visit(filter, [&out](const ContainerRecord& r) { out.push_back(r); });
  return out;
}

void ContainerManager::Visit(const store::ContainerFilter& filter,
                             const std::function<void(const ContainerRecord&)>& visit) {
  // A watched container's exit reaches the store by itself. The others are
  // refreshed first so a state filter sees exits that happened since; each
  // costs a round trip to its shim, so they run on a few threads (kubelet
  // lists every second, and a serial pass dominated ListContainers' latency).
  // Only the ids are taken under the store's lock; a record is copied only
  // when it needs that refresh.
  std::vector<std::pair<std::string, ContainerState>> candidates;
  store_->Visit(store::ContainerFilter{.id = filter.id, .sandbox_id = filter.sandbox_id},
                [&candidates](const ContainerRecord& record) {
                  const ContainerState state = record.State();
                  if (state == ContainerState::kRunning || state == ContainerState::kCreated) {
                    candidates.emplace_back(record.id, state);
                  }
                });
  std::vector<ContainerRecord> live;
  for (const auto& [id, state] : candidates) {
    if (state == ContainerState::kRunning && Watched(id)) continue;  // the store is current
    absl::StatusOr<ContainerRecord> record = store_->Get(id);
    if (record.ok()) live.push_back(*std::move(record));  // else removed meanwhile: nothing to refresh
  }
  constexpr size_t kRefreshThreads = 8;
  if (live.size() <= 1) {
    for (const ContainerRecord& record : live) (void)Refresh(record);
  } else {
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i = next++; i < live.size(); i = next++) (void)Refresh(live[i]);
    };
    std::vector<std::thread> threads;
    for (size_t t = 1; t < std::min(kRefreshThreads, live.size()); ++t) threads.emplace_back(work);
    work();
    for (auto& t : threads) t.join();
  }
  store_->Visit(filter, visit);
}

absl::StatusOr<ExecResult> ContainerManager::ExecSync(const std::string& id_or_prefix,
                                                      const std::vector<std::string>& args,
                                                      std::chrono::seconds timeout) {
  if (args.empty()) return absl::InvalidArgumentError("ExecSync: cmd is required");
  SILO_ASSIGN_OR_RETURN(ContainerRecord record, store_->Get(id_or_prefix));
  SILO_ASSIGN_OR_RETURN(record, Refresh(record));
  if (record.State() != ContainerState::kRunning) {
    return absl::FailedPreconditionError(absl::StrCat("ExecSync in container ", record.id, ": container is ",
                                                      model::ContainerStateName(record.State()), ", not RUNNING"));
  }
  SILO_ASSIGN_OR_RETURN(ContainerHost * host, HostOf(record));
  return host->Exec(record.id, record.host_handle, args, SaturatingDurationCast<std::chrono::milliseconds>(timeout));
}

absl::Status ContainerManager::ReopenLog(const std::string& id_or_prefix) {
  SILO_ASSIGN_OR_RETURN(ContainerRecord record, store_->Get(id_or_prefix));
  SILO_ASSIGN_OR_RETURN(record, Refresh(record));
  if (record.State() != ContainerState::kRunning) {
    return absl::FailedPreconditionError(absl::StrCat("ReopenContainerLog for container ", record.id,
                                                      ": container is ", model::ContainerStateName(record.State()),
                                                      ", not RUNNING"));
  }
  SILO_ASSIGN_OR_RETURN(ContainerHost * host, HostOf(record));
  return host->ReopenLog(record.id, record.host_handle);
}

}  // namespace silo::runtime::container
