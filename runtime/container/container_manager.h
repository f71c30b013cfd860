#pragma once
// ContainerManager: the platform-neutral life cycle of containers (CRI
// Create, Start, Stop, Remove, Status, List, ExecSync) over the store
// (runtime/store), the sandbox manager, the image manager and the
// ContainerHost of each container's runtime handler (runtime/handler).
//
// Create: sandbox READY -> reserve the name -> resolve the image -> rootfs
// from the layer store (image::LayerStore::Prepare) -> merge the image config
// with the request -> host Create (bundle, monitor) -> record CREATED. On
// failure the steps are undone and the name released. Remove gives the
// rootfs back to the layer store after the host removed the container.
// Exits are pushed: every RUNNING container has an exit watch from the host
// (ContainerHost::WatchExit), whose callback records finished_at, exit_code
// and reason (Completed for 0, Error otherwise) and emits STOPPED at once.
// For a watched container Status and List answer from the store; the host
// is asked only about containers without a watch (a host that cannot push,
// or a watch that could not be set up), on every Status and List.
//
// Stop: unknown id is NotFound (as containerd's StopContainer); an exited
// container is OK (idempotent); else the image's StopSignal (SIGTERM when
// unset), wait `timeout`, SIGKILL. An exit is reported OOMKilled when the
// host saw an OOM kill in the container's cgroup.
// Remove: unknown id is OK; a running container is killed first.
//
// Thread safety: all methods are thread-safe; operations on one container
// are serialised by a per-id lock. A pod's containers never outlive it:
// Create and Start hold their pod's lock shared (any number at once), the
// Stop/RemovePodSandbox cascade holds it exclusively, so it waits for the
// creates in flight and no create slips in between its listing of the pod's
// containers and the pod's end. A pod's lock is taken before any
// container's.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cri/api/cri.h"
#include "image/image_manager.h"
#include "image/layers/layer_store.h"
#include "runtime/base/keyed_locks.h"
#include "runtime/base/mutex.h"
#include "runtime/container/container_host.h"
#include "runtime/events/event_bus.h"
#include "runtime/handler/registry.h"
#include "runtime/model/container.h"
#include "runtime/sandbox/sandbox_manager.h"
#include "runtime/store/container_store.h"
#include "runtime/store/name_registrar.h"

namespace silo::runtime::container {

class ContainerManager {
 public:
  // No pointer is owned; all must outlive the manager. `events` may be null;
  // else it receives CREATED, STARTED, STOPPED (exit recorded) and DELETED.
  // Each container goes to the runtime handler its sandbox runs on, and
  // from then on to the one its record names (`handlers`). `layers` makes
  // and removes every container's rootfs.
  ContainerManager(store::ContainerStore* store, sandbox::SandboxManager* sandboxes, image::ImageManager* images,
                   image::LayerStore* layers, const handler::HandlerRegistry* handlers,
                   events::EventSink* events = nullptr);
  // Cancels every exit watch; no callback runs after it returns.
  ~ContainerManager();

  // Live restore (container_recovery.cc). Call once before serving: loads
  // the store, reserves names, reconnects every container to its monitor
  // (RUNNING/CREATED ones whose monitor is gone become EXITED from the
  // durable exit record, else UNKNOWN with reason "ShimLost") and removes
  // host objects no record owns. Each action logs one line.
  absl::Status Recover();

  absl::StatusOr<std::string> Create(const std::string& sandbox_id, const ::runtime::v1::ContainerConfig& config,
                                     const ::runtime::v1::PodSandboxConfig& sandbox_config);
  absl::Status Start(const std::string& id_or_prefix);
  absl::Status Stop(const std::string& id_or_prefix, std::chrono::seconds timeout);
  absl::Status Remove(const std::string& id_or_prefix);
  // StopPodSandbox: stops every container of the pod (no grace period:
  // kubelet stopped them with theirs already), then the pod. RemovePodSandbox:
  // removes every container of the pod, then the pod. Both idempotent: an
  // unknown pod is OK. (pod_cascade.cc)
  absl::Status StopPod(const std::string& sandbox_id_or_prefix);
  absl::Status RemovePod(const std::string& sandbox_id_or_prefix);
  // ReopenContainerLog: FailedPrecondition unless the container runs, so no
  // log file is created for a stopped container.
  absl::Status ReopenLog(const std::string& id_or_prefix);
  absl::StatusOr<model::ContainerRecord> Status(const std::string& id_or_prefix);
  // The runtime spec the record's host created the container with, as text.
  absl::StatusOr<std::string> RuntimeSpec(const model::ContainerRecord& record) const;
  std::vector<model::ContainerRecord> List(const store::ContainerFilter& filter);
  // As List, handing each record to `visit` without copying it
  // (store::ContainerStore::Visit: `visit` must not call back into the manager).
  void Visit(const store::ContainerFilter& filter, const std::function<void(const model::ContainerRecord&)>& visit);
  absl::StatusOr<ExecResult> ExecSync(const std::string& id_or_prefix, const std::vector<std::string>& args,
                                      std::chrono::seconds timeout);
  // UpdateContainerResources (container_update.cc): the non-zero fields of
  // `resources` replace the current ones, the result is applied live and
  // stored (echoed by Status). InvalidArgument for bad values,
  // FailedPrecondition unless CREATED or RUNNING; nothing stored on error.
  absl::Status UpdateResources(const std::string& id_or_prefix,
                               const ::runtime::v1::LinuxContainerResources& resources);
  // The Windows block of UpdateContainerResources: the host applies the
  // non-zero fields live (ContainerHost::UpdateWindowsResources), then they
  // replace the stored ones (the CPU fields as one, since HCS keeps one CPU
  // limit). FailedPrecondition unless RUNNING: a Windows container's limits
  // are fixed in its compute system once created; nothing stored on error.
  absl::Status UpdateWindowsResources(const std::string& id_or_prefix,
                                      const ::runtime::v1::WindowsContainerResources& resources);

 private:
  // Records the exit of a RUNNING container if the host reports one. The
  // store's answer is current for a watched container, so the host is asked
  // only when there is no watch; a RUNNING container gets one here.
  absl::StatusOr<model::ContainerRecord> Refresh(const model::ContainerRecord& record);
  absl::StatusOr<model::ContainerRecord> AskHost(const model::ContainerRecord& record);
  // Exit watches (container_exit_watch.cc).
  bool Watched(const std::string& id);
  void EnsureWatched(const model::ContainerRecord& record);
  void DropWatch(const std::string& id);
  bool CallbacksIdle() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(watches_mu_);
  // `generation` names the watch that fired; a newer one for `id` is kept.
  void OnExitSignal(const std::string& id, uint64_t generation);
  absl::StatusOr<model::ContainerRecord> RecordExit(const model::ContainerRecord& record, const ProcessState& state);
  // The container host of the record's runtime handler.
  absl::StatusOr<ContainerHost*> HostOf(const model::ContainerRecord& record) const;
  // OK (recording the exit) if the container has exited, else `error`.
  absl::Status ExitedOr(const model::ContainerRecord& record, const absl::Status& error);
  // Live restore (container_recovery.cc). For a RUNNING or CREATED record
  // whose monitor is gone: EXITED from the recorded exit, else UNKNOWN with
  // reason "ShimLost". Returns the record unchanged while the monitor lives.
  absl::StatusOr<model::ContainerRecord> ReconcileLostMonitor(const model::ContainerRecord& record);
  // StopContainer of an UNKNOWN container whose monitor is gone: kills what
  // is left and records EXITED (code 137, reason "ShimLost").
  absl::Status StopUnmonitored(const model::ContainerRecord& record);
  // Start-up garbage collection of host objects no record in `owned` has.
  void CollectOrphans(std::set<std::string> owned);
  void Emit(events::EventType type, const std::string& id, const std::string& sandbox_id);
  // A container's record read again once its per-id lock is held; the lock
  // is held until the Locked goes.
  struct Locked {
    KeyedLocks::Hold hold;
    model::ContainerRecord record;
  };
  absl::StatusOr<Locked> Lock(const std::string& id_or_prefix);

  store::ContainerStore* const store_;
  sandbox::SandboxManager* const sandboxes_;
  image::ImageManager* const images_;
  image::LayerStore* const layers_;
  const handler::HandlerRegistry* const handlers_;
  events::EventSink* const events_;
  store::NameRegistrar names_;

  // Per-pod locks (see "Thread safety" above).
  KeyedLocks pod_locks_;
  // Per-container locks (exclusive): operations on one container run one at
  // a time. Taken after the container's pod lock, when both are needed.
  KeyedLocks locks_;

  // Never held across a host call or a watch's destruction: a callback
  // takes it, and cancelling waits for a running callback.
  silo::Mutex watches_mu_;
  struct Watch {
    uint64_t generation = 0;
    std::unique_ptr<ExitWatch> watch;  // null while being set up
  };
  std::map<std::string, Watch> watches_ ABSL_GUARDED_BY(watches_mu_);
  uint64_t next_generation_ ABSL_GUARDED_BY(watches_mu_) = 1;
  bool closing_ ABSL_GUARDED_BY(watches_mu_) = false;
  int callbacks_running_ ABSL_GUARDED_BY(watches_mu_) = 0;
};

}  // namespace silo::runtime::container
