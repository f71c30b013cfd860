#pragma once
// SandboxManager: the platform-neutral life cycle of pod sandboxes (Run, Stop,
// Remove, Status, List, start-up recovery) over three seams: the store
// (runtime/store), the SandboxHost of the pod's runtime handler (namespaces,
// pod group; runtime/handler) and the network::PodNetwork (CNI).
//
// Run: validate -> reserve the name -> record CREATING -> namespaces -> pod
// group -> CNI attach -> StartPod (Windows: the pause system) -> pod files ->
// READY with the steps (two commits in
// all: the intent and the result). Each completed step pushes its
// undo; on failure the undos run in reverse and the record is deleted, or
// left UNKNOWN (reported NOTREADY) if an undo failed, so Remove can finish.
// A duplicate Run with the same metadata returns the same id, also while the
// first call is still running (it waits for it).
//
// Stop: StopPod -> record "network_detaching" -> CNI DEL -> NOTREADY +
// "network_detached".
//
// Every host object is named by the sandbox id, so Recover() can undo a
// CREATING sandbox after a crash at any point without trusting its steps.
// Recover() also finishes a Stop interrupted around CNI DEL, re-opens READY
// sandboxes on their host (SandboxHost::Reopen) and marks those whose
// namespace vanished or that can no longer run NOTREADY, publishing STOPPED
// for each.
//
// Thread safety: all methods are thread-safe; operations on one sandbox are
// serialised by a per-id lock, different sandboxes proceed in parallel.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cri/api/cri.h"
#include "network/pod_network.h"
#include "runtime/base/cleanup.h"
#include "runtime/base/keyed_locks.h"
#include "runtime/events/event_bus.h"
#include "runtime/handler/registry.h"
#include "runtime/model/sandbox.h"
#include "runtime/sandbox/sandbox_host.h"
#include "runtime/store/name_registrar.h"
#include "runtime/store/pending_ops.h"
#include "runtime/store/sandbox_store.h"

namespace silo::runtime::sandbox {

struct SandboxManagerOptions {
  std::string files_dir;                 // <root>/sandboxes: per-pod hosts, resolv.conf, hostname
  std::string host_resolv_conf = "/etc/resolv.conf";  // used when a pod's DNSConfig is empty
  // Host-network pods, and pods whose config leaves hostname empty, keep the
  // node's name; the latter also get a copy of the node's hosts file.
  std::string node_hostname;
  std::string host_hosts_file = "/etc/hosts";
};

class SandboxManager {
 public:
  // None of the pointers is owned; all must outlive the manager. `events`
  // may be null; else it receives CREATED (once READY), STOPPED and DELETED.
  // `handlers` routes each pod to its runtime handler's SandboxHost.
  SandboxManager(SandboxManagerOptions options, store::SandboxStore* store, const handler::HandlerRegistry* handlers,
                 network::PodNetwork* network, events::EventSink* events = nullptr);

  // Loads the store and reconciles it with the host (see the file comment).
  // Call once before serving.
  absl::Status Recover();

  absl::StatusOr<std::string> Run(const ::runtime::v1::PodSandboxConfig& config,
                                  const std::string& runtime_handler);
  absl::Status Stop(const std::string& id_or_prefix);
  absl::Status Remove(const std::string& id_or_prefix);
  absl::StatusOr<model::SandboxRecord> Status(const std::string& id_or_prefix) const;
  std::vector<model::SandboxRecord> List(const store::SandboxFilter& filter) const;
  // Calls `visit` on each record `filter` accepts, without copying it
  // (store::SandboxStore::Visit: `visit` must not call back into the manager).
  void Visit(const store::SandboxFilter& filter, const std::function<void(const model::SandboxRecord&)>& visit) const;

  std::string FilesDir(const std::string& id) const { return options_.files_dir + "/" + id; }

 private:
  // The handler the pod runs on, once the request is known to be valid.
  absl::StatusOr<handler::HandlerSpec> ValidateRun(const ::runtime::v1::PodSandboxConfig& config,
                                                   const std::string& handler) const;
  absl::StatusOr<std::string> RunNew(const ::runtime::v1::PodSandboxConfig& config,
                                     const handler::HandlerSpec& handler, const std::string& requested_handler,
                                     const std::string& name);
  // The sandbox host of the record's runtime handler.
  absl::StatusOr<SandboxHost*> HostOf(const model::SandboxRecord& record) const;
  // True when a READY sandbox's network namespace is gone (recovery).
  bool NamespaceVanished(const model::SandboxRecord& record) const;
  // The side effects of Run, each pushing its undo onto `undo`.
  // `ready` (a copy of `record` on entry) collects what each step made.
  absl::Status SetUp(const model::SandboxRecord& record, const ::runtime::v1::PodSandboxConfig& config,
                     bool host_network, CleanupStack& undo, model::SandboxRecord& ready);
  absl::Status StopLocked(const model::SandboxRecord& record);
  // Undoes everything a sandbox may own on the host; idempotent.
  absl::Status TearDown(const model::SandboxRecord& record);
  network::AttachRequest AttachRequestFor(const model::SandboxRecord& record, const SandboxHost& host,
                                          const std::string& netns) const;
  // As above with the pod's config already parsed (null: none readable).
  network::AttachRequest AttachRequestFor(const model::SandboxRecord& record,
                                          const ::runtime::v1::PodSandboxConfig* config, const SandboxHost& host,
                                          const std::string& netns) const;
  void Emit(events::EventType type, const std::string& id);
  // Unmounts the pod's shm, then deletes its files dir. Idempotent.
  absl::Status RemoveFilesAndShm(SandboxHost& host, const std::string& files);
  // Records NOTREADY and publishes STOPPED (recovery's transitions).
  absl::Status MarkNotReady(const std::string& id);

  const SandboxManagerOptions options_;
  store::SandboxStore* const store_;
  const handler::HandlerRegistry* const handlers_;
  network::PodNetwork* const network_;
  events::EventSink* const events_;
  store::NameRegistrar names_;
  store::PendingOps<std::string> pending_;

  KeyedLocks locks_;  // per sandbox id (exclusive)
};

}  // namespace silo::runtime::sandbox
