#include "runtime/sandbox/sandbox_manager.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "network/bandwidth.h"
#include "runtime/base/cleanup.h"
#include "runtime/base/durations.h"
#include "runtime/base/file_util.h"
#include "runtime/base/ids.h"
#include "runtime/base/status_macros.h"
#include "runtime/handler/handler.h"
#include "runtime/sandbox/pod_files.h"
#include "spdlog/spdlog.h"

namespace silo::runtime::sandbox {
namespace {

using model::SandboxRecord;
using model::SandboxState;

// Recorded once CNI DEL succeeded, so Stop and Remove do not repeat it.
constexpr char kDetachedStep[] = "network_detached";
// Recorded before CNI DEL, so a crash between the DEL and the state update
// is seen at start-up (the namespace still exists, but its pod interface is
// gone) and the stop is finished instead of the pod staying READY.
constexpr char kDetachingStep[] = "network_detaching";

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool HostNetwork(const ::runtime::v1::PodSandboxConfig& config) {
  return config.linux().security_context().namespace_options().network() == ::runtime::v1::NODE;
}

std::string ProtocolName(::runtime::v1::Protocol p) {
  switch (p) {
    case ::runtime::v1::UDP:
      return "udp";
    case ::runtime::v1::SCTP:
      return "sctp";
    default:
      return "tcp";
  }
}

absl::Status RemoveFiles(const std::string& dir) {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) return ErrnoToStatus(ec.value(), absl::StrCat("remove ", dir));
  return absl::OkStatus();
}

}  // namespace

SandboxManager::SandboxManager(SandboxManagerOptions options, store::SandboxStore* store,
                               const handler::HandlerRegistry* handlers, network::PodNetwork* network,
                               events::EventSink* events)
    : options_(std::move(options)), store_(store), handlers_(handlers), network_(network), events_(events) {}

absl::StatusOr<SandboxHost*> SandboxManager::HostOf(const SandboxRecord& record) const {
  SILO_ASSIGN_OR_RETURN(handler::RuntimeHandler * handler, handlers_->For(record.runtime_handler, record.handler_type));
  return &handler->Sandboxes();
}

void SandboxManager::Emit(events::EventType type, const std::string& id) {
  if (events_ == nullptr) return;
  events_->Publish({events::EventKind::kSandbox, type, id, id, events::EventNowNs()});
}

absl::StatusOr<handler::HandlerSpec> SandboxManager::ValidateRun(const ::runtime::v1::PodSandboxConfig& config,
                                                                 const std::string& handler) const {
  const auto& md = config.metadata();
  if (md.name().empty() || md.namespace_().empty() || md.uid().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("RunPodSandbox: metadata name, namespace and uid are required (got \"",
                                                   md.name(), "\", \"", md.namespace_(), "\", \"", md.uid(), "\")"));
  }
  absl::StatusOr<handler::HandlerSpec> resolved = handlers_->Resolve(handler, config);
  if (!resolved.ok()) return Annotate(resolved.status(), "RunPodSandbox");
  // The kernel's limit (HOST_NAME_MAX); checked before anything is made.
  constexpr size_t kMaxHostname = 64;
  if (config.hostname().size() > kMaxHostname) {
    return absl::InvalidArgumentError(absl::StrCat("RunPodSandbox: hostname \"", config.hostname(), "\" is ",
                                                   config.hostname().size(), " bytes; the limit is ", kMaxHostname));
  }
  std::map<std::string, std::string> annotations(config.annotations().begin(), config.annotations().end());
  absl::StatusOr<network::Bandwidth> bandwidth = network::BandwidthFromAnnotations(annotations);
  if (!bandwidth.ok()) return Annotate(bandwidth.status(), "RunPodSandbox");
  return resolved;
}

network::AttachRequest SandboxManager::AttachRequestFor(const SandboxRecord& record, const SandboxHost& host,
                                                        const std::string& netns) const {
  absl::StatusOr<::runtime::v1::PodSandboxConfig> config = record.Config();
  return AttachRequestFor(record, config.ok() ? &*config : nullptr, host, netns);
}

network::AttachRequest SandboxManager::AttachRequestFor(const SandboxRecord& record,
                                                        const ::runtime::v1::PodSandboxConfig* config,
                                                        const SandboxHost& host, const std::string& netns) const {
  network::AttachRequest req;
  req.sandbox_id = record.id;
  req.netns = netns;
  // A crash while unpinning can leave a plain file where the namespace was;
  // plugins fail on such a path but release their state (IPAM) without one.
  if (!host.NetworkNamespaceExists(netns)) req.netns.clear();
  req.pod_name = record.metadata.name;
  req.pod_namespace = record.metadata.namespace_;
  req.pod_uid = record.metadata.uid;
  if (config != nullptr) {
    for (const auto& p : config->port_mappings()) {
      req.port_mappings.push_back({ProtocolName(p.protocol()), p.container_port(), p.host_port(), p.host_ip()});
    }
    const auto& dns = config->dns_config();
    req.dns.servers.assign(dns.servers().begin(), dns.servers().end());
    req.dns.searches.assign(dns.searches().begin(), dns.searches().end());
    req.dns.options.assign(dns.options().begin(), dns.options().end());
  }
  // Validated by ValidateRun; a record from an older silod with a bad value
  // is attached unshaped rather than not at all.
  absl::StatusOr<network::Bandwidth> bandwidth = network::BandwidthFromAnnotations(record.annotations);
  if (bandwidth.ok()) req.bandwidth = *bandwidth;
  return req;
}

absl::StatusOr<std::string> SandboxManager::Run(const ::runtime::v1::PodSandboxConfig& config,
                                                const std::string& runtime_handler) {
  SILO_ASSIGN_OR_RETURN(handler::HandlerSpec handler, ValidateRun(config, runtime_handler));
  std::string name = store::MakeSandboxName(config.metadata());
  // A retry while the first call runs waits for it and shares its result.
  return pending_.Run(name, [&]() -> absl::StatusOr<std::string> {
    absl::StatusOr<std::string> existing = names_.Get(name);
    if (existing.ok()) return *existing;
    return RunNew(config, handler, runtime_handler, name);
  });
}

absl::StatusOr<std::string> SandboxManager::RunNew(const ::runtime::v1::PodSandboxConfig& config,
                                                   const handler::HandlerSpec& handler,
                                                   const std::string& requested_handler, const std::string& name) {
  const std::string id = NewId();
  SILO_RETURN_IF_ERROR(names_.Reserve(name, id));
  KeyedLocks::Hold hold = locks_.Exclusive(id);

  const bool host_network = HostNetwork(config);
  SandboxRecord record;
  record.id = id;
  record.metadata = {config.metadata().name(), config.metadata().namespace_(), config.metadata().uid(),
                     config.metadata().attempt()};
  record.runtime_handler = handler.name;
  record.handler_type = handler.type;
  record.requested_handler = requested_handler;
  record.labels.insert(config.labels().begin(), config.labels().end());
  record.annotations.insert(config.annotations().begin(), config.annotations().end());
  record.created_at_ns = NowNs();
  record.state = SandboxState::kCreating;
  // As containerd: an empty hostname leaves a new UTS namespace with the
  // node's name (never the pod's name, which may not fit).
  record.hostname = host_network || config.hostname().empty() ? options_.node_hostname : config.hostname();
  record.log_directory = config.log_directory();
  record.cgroup_parent = config.linux().cgroup_parent();
  record.SetConfig(config);
  // Intent first: from here on a crash is rolled back by Recover().
  absl::Status added = store_->Add(record);
  if (!added.ok()) {
    names_.Release(name);
    return added;
  }

  CleanupStack undo;
  StepTimer total(Timing::kSandboxStart, "total");
  SandboxRecord progress = record;
  absl::Status s = SetUp(record, config, host_network, undo, progress);
  total.Done(s.ok());
  if (s.ok()) {
    undo.Dismiss();
    Emit(events::EventType::kCreated, id);
    return id;
  }
  absl::Status undone = undo.Run();
  if (undone.ok()) undone = store_->Delete(id);
  if (undone.ok()) {
    names_.Release(name);
  } else {
    // Never hide a half-made sandbox: UNKNOWN (NOTREADY to kubelet) keeps it
    // listed and keeps its name, so Remove or the next recovery finishes it.
    spdlog::error("sandbox {}: undo after failed RunPodSandbox failed: {}", id, std::string(undone.message()));
    // What was made is recorded with it, so Remove finds it (e.g. retries
    // the CNI DEL for the namespace the failed undo left).
    progress.state = SandboxState::kUnknown;
    (void)store_->Update(id, [&](SandboxRecord& r) {
      r = progress;
      return absl::OkStatus();
    });
  }
  return Annotate(s, absl::StrCat("RunPodSandbox ", name, " (sandbox ", id, ")"));
}

absl::Status SandboxManager::SetUp(const SandboxRecord& record, const ::runtime::v1::PodSandboxConfig& config,
                                   bool host_network, CleanupStack& undo, SandboxRecord& ready) {
  const std::string& id = record.id;
  SILO_ASSIGN_OR_RETURN(SandboxHost * host, HostOf(record));
  // The steps are committed once, with READY. Durability in between buys
  // nothing: recovery rolls a CREATING record back whole, without trusting
  // its steps, and every host object is named by the sandbox id, so it finds
  // each one (and CNI DEL needs only the id) whatever was recorded. A failed
  // Run that cannot undo records `ready` as it got (RunNew).
  auto step = [&](const std::string& name, const std::string& data) { ready.AddStep(name, data, NowNs()); };

  NamespaceRequest ns;
  ns.network = !host_network;
  ns.uts = !host_network;
  ns.ipc = config.linux().security_context().namespace_options().ipc() != ::runtime::v1::NODE;
  ns.pid = config.linux().security_context().namespace_options().pid() == ::runtime::v1::POD;
  ns.hostname = config.hostname();  // "" keeps the node's
  StepTimer ns_timer(Timing::kSandboxStart, "namespaces");
  SILO_ASSIGN_OR_RETURN(std::string netns, host->CreateNamespaces(id, ns));
  ns_timer.Done(true);
  undo.Push("remove namespaces", [host, id] { return host->RemoveNamespaces(id); });
  ready.netns_path = netns;
  step("namespaces", netns);

  StepTimer group_timer(Timing::kSandboxStart, "pod_group");
  SILO_ASSIGN_OR_RETURN(std::string cgroup, host->CreatePodGroup(id));
  group_timer.Done(true);
  undo.Push("remove pod group", [host, id] { return host->RemovePodGroup(id); });
  ready.cgroup_path = cgroup;
  step("pod_group", cgroup);

  network::Attachment attachment;
  if (!host_network) {
    network::AttachRequest req = AttachRequestFor(record, &config, *host, netns);
    undo.Push("detach network", [this, req] { return network_->Detach(req); });
    StepTimer net_timer(Timing::kSandboxStart, "network");
    SILO_ASSIGN_OR_RETURN(attachment, network_->Attach(req));
    net_timer.Done(true);
    ready.ip = attachment.ip;
    ready.additional_ips = attachment.additional_ips;
    // Kept for PodSandboxStatus(verbose), as containerd shows it.
    if (!attachment.result_json.empty()) {
      ready.platform_data["cni_result"] = nlohmann::json::parse(attachment.result_json, nullptr, false);
    }
    step("network", attachment.ip);
  }

  // What runs for the pod (Windows' pause system) joins the namespace with
  // its endpoints already in it, as containerd attaches CNI first.
  StepTimer pod_timer(Timing::kSandboxStart, "pod_start");
  undo.Push("stop pod", [host, id] { return host->StopPod(id); });
  PodStart start{netns, record.hostname, &config};
  SILO_ASSIGN_OR_RETURN(nlohmann::json started, host->StartPod(id, start));
  pod_timer.Done(true);
  if (started.is_object()) {
    for (const auto& [key, value] : started.items()) ready.platform_data[key] = value;
  }

  std::string files = FilesDir(id);
  StepTimer files_timer(Timing::kSandboxStart, "files");
  undo.Push("remove pod files", [this, host, files] { return RemoveFilesAndShm(*host, files); });
  SILO_RETURN_IF_ERROR(
      WritePodFiles(files, record.hostname, attachment.ip, config.dns_config(), options_.host_resolv_conf,
                    host_network || config.hostname().empty() ? options_.host_hosts_file : ""));
  if (ns.ipc) SILO_RETURN_IF_ERROR(host->MountPodShm(files + "/shm"));
  step("files", files);
  files_timer.Done(true);

  ready.state = SandboxState::kReady;
  return store_
      ->Update(id,
               [&](SandboxRecord& r) {
                 r = ready;
                 return absl::OkStatus();
               })
      .status();
}

absl::Status SandboxManager::StopLocked(const SandboxRecord& record) {
  // What runs for the pod goes first, then its network (reverse of Run).
  // Without its handler nothing of it can be reached; Remove reports that.
  if (absl::StatusOr<SandboxHost*> host = HostOf(record); host.ok()) {
    SILO_RETURN_IF_ERROR((*host)->StopPod(record.id));
  }
  bool detach = !record.netns_path.empty() && !record.HasStep(kDetachedStep);
  if (detach && !record.HasStep(kDetachingStep)) {
    SILO_RETURN_IF_ERROR(store_
                             ->Update(record.id,
                                      [&](SandboxRecord& r) {
                                        r.AddStep(kDetachingStep, "", NowNs());
                                        return absl::OkStatus();
                                      })
                             .status());
  }
  if (detach) {
    SILO_ASSIGN_OR_RETURN(SandboxHost * host, HostOf(record));
    SILO_RETURN_IF_ERROR(network_->Detach(AttachRequestFor(record, *host, record.netns_path)));
  }
  if (!detach && record.state == SandboxState::kNotReady) return absl::OkStatus();
  SILO_RETURN_IF_ERROR(store_
                           ->Update(record.id,
                                    [&](SandboxRecord& r) {
                                      r.state = SandboxState::kNotReady;
                                      if (detach) r.AddStep(kDetachedStep, "", NowNs());
                                      return absl::OkStatus();
                                    })
                           .status());
  // Only a real transition is an event: a repeated Stop publishes nothing.
  if (record.state != SandboxState::kNotReady) Emit(events::EventType::kStopped, record.id);
  return absl::OkStatus();
}

absl::Status SandboxManager::Stop(const std::string& id_or_prefix) {
  if (id_or_prefix.empty()) return absl::OkStatus();  // "" must never resolve as a prefix of every id
  absl::StatusOr<std::string> id = store_->ResolveId(id_or_prefix);
  if (!id.ok()) return absl::IsNotFound(id.status()) ? absl::OkStatus() : id.status();
  KeyedLocks::Hold hold = locks_.Exclusive(*id);
  absl::StatusOr<SandboxRecord> record = store_->Get(*id);
  if (!record.ok()) return absl::IsNotFound(record.status()) ? absl::OkStatus() : record.status();
  if (record->state == SandboxState::kCreating) {
    return absl::FailedPreconditionError(absl::StrCat("sandbox ", *id, " is still being created"));
  }
  return Annotate(StopLocked(*record), absl::StrCat("stop sandbox ", *id));
}

absl::Status SandboxManager::TearDown(const SandboxRecord& record) {
  const std::string& id = record.id;
  absl::Status first;
  auto keep = [&](absl::Status s) {
    if (!s.ok() && first.ok()) first = s;
  };
  SILO_ASSIGN_OR_RETURN(SandboxHost * host, HostOf(record));
  keep(host->StopPod(id));
  std::string netns = record.netns_path.empty() ? host->NetworkNamespaceFor(id) : record.netns_path;
  // CNI DEL is idempotent and frees IPAM state even when the namespace is
  // gone, so every networked sandbox gets one unless Stop already did it.
  bool networked = !record.netns_path.empty() || host->NetworkNamespaceExists(netns);
  if (networked && !record.HasStep(kDetachedStep)) {
    if (!record.HasStep(kDetachingStep) && record.state != SandboxState::kCreating) {
      // As in Stop: a crash after the DEL must not leave the pod READY.
      // Orphans (no record) and CREATING records are rolled back whole.
      absl::Status noted = store_
                               ->Update(id,
                                        [](SandboxRecord& r) {
                                          r.AddStep(kDetachingStep, "", NowNs());
                                          return absl::OkStatus();
                                        })
                               .status();
      if (!noted.ok() && !absl::IsNotFound(noted)) return noted;
    }
    keep(network_->Detach(AttachRequestFor(record, *host, netns)));
  }
  if (!first.ok()) return first;  // keep the namespace so a retried DEL can still find the interfaces
  keep(host->RemoveNamespaces(id));
  keep(host->RemovePodGroup(id));
  keep(RemoveFilesAndShm(*host, FilesDir(id)));
  return first;
}

absl::Status SandboxManager::Remove(const std::string& id_or_prefix) {
  if (id_or_prefix.empty()) return absl::OkStatus();
  absl::StatusOr<std::string> id = store_->ResolveId(id_or_prefix);
  if (!id.ok()) return absl::IsNotFound(id.status()) ? absl::OkStatus() : id.status();
  KeyedLocks::Hold hold = locks_.Exclusive(*id);
  absl::StatusOr<SandboxRecord> record = store_->Get(*id);
  if (!record.ok()) return absl::IsNotFound(record.status()) ? absl::OkStatus() : record.status();
  if (record->state == SandboxState::kCreating) {
    return absl::FailedPreconditionError(absl::StrCat("sandbox ", *id, " is still being created"));
  }
  SILO_RETURN_IF_ERROR(Annotate(TearDown(*record), absl::StrCat("remove sandbox ", *id)));
  SILO_RETURN_IF_ERROR(Annotate(store_->Delete(*id), absl::StrCat("remove sandbox ", *id)));
  names_.ReleaseByKey(*id);
  Emit(events::EventType::kDeleted, *id);
  return absl::OkStatus();
}

absl::StatusOr<SandboxRecord> SandboxManager::Status(const std::string& id_or_prefix) const {
  absl::StatusOr<SandboxRecord> r =
      id_or_prefix.empty() ? absl::NotFoundError("empty id") : store_->Get(id_or_prefix);
  if (!r.ok() && absl::IsNotFound(r.status())) {
    return absl::NotFoundError(absl::StrCat("pod sandbox \"", id_or_prefix, "\" not found"));
  }
  return r;
}

std::vector<SandboxRecord> SandboxManager::List(const store::SandboxFilter& filter) const {
  return store_->List(filter);
}

void SandboxManager::Visit(const store::SandboxFilter& filter,
                           const std::function<void(const SandboxRecord&)>& visit) const {
  store_->Visit(filter, visit);
}

absl::Status SandboxManager::RemoveFilesAndShm(SandboxHost& host, const std::string& files) {
  // The shm tmpfs first: remove_all would stop at the mount point.
  SILO_RETURN_IF_ERROR(host.UnmountPodShm(files + "/shm"));
  return RemoveFiles(files);
}

absl::Status SandboxManager::MarkNotReady(const std::string& id) {
  SILO_RETURN_IF_ERROR(store_
                           ->Update(id,
                                    [](SandboxRecord& rec) {
                                      rec.state = SandboxState::kNotReady;
                                      return absl::OkStatus();
                                    })
                           .status());
  Emit(events::EventType::kStopped, id);
  return absl::OkStatus();
}

absl::Status SandboxManager::Recover() {
  SILO_RETURN_IF_ERROR(store_->Load());
  // Records from before handlers were recorded name only what was asked
  // for: pin them to a handler and type now, so a later config change
  // (another default, the name removed) cannot move or strand them.
  for (const SandboxRecord& r : store_->List()) {
    if (!r.handler_type.empty()) continue;
    absl::StatusOr<handler::HandlerSpec> spec = handlers_->Adopt(r.runtime_handler);
    if (!spec.ok()) {
      spdlog::warn("recovery: sandbox {}: {}", r.id, std::string(spec.status().message()));
      continue;
    }
    SILO_RETURN_IF_ERROR(store_
                             ->Update(r.id,
                                      [&](SandboxRecord& rec) {
                                        rec.runtime_handler = spec->name;
                                        rec.handler_type = spec->type;
                                        return absl::OkStatus();
                                      })
                             .status());
  }
  std::set<std::string> known;
  for (const SandboxRecord& r : store_->List()) {
    if (r.state == SandboxState::kCreating) {
      // Half made when silod died: undo whatever exists, forget the record.
      absl::Status s = TearDown(r);
      if (s.ok()) s = store_->Delete(r.id);
      if (s.ok()) {
        spdlog::info("recovery: rolled back sandbox {} left in CREATING", r.id);
        continue;
      }
      spdlog::warn("recovery: cannot roll back sandbox {}: {}", r.id, std::string(s.message()));
      (void)store_->Update(r.id, [](SandboxRecord& rec) {
        rec.state = SandboxState::kUnknown;
        return absl::OkStatus();
      });
    } else if (r.state == SandboxState::kReady && r.HasStep(kDetachingStep) && !r.HasStep(kDetachedStep)) {
      // silod died inside StopPodSandbox, around CNI DEL: finish the stop.
      absl::Status s = StopLocked(r);
      if (s.ok()) {
        spdlog::info("recovery: finished stopping sandbox {} (interrupted during CNI DEL)", r.id);
      } else {
        spdlog::warn("recovery: cannot finish stopping sandbox {}: {}; marking it NOTREADY", r.id,
                     std::string(s.message()));
        SILO_RETURN_IF_ERROR(MarkNotReady(r.id));
      }
    } else if (r.state == SandboxState::kReady && !r.netns_path.empty() && NamespaceVanished(r)) {
      spdlog::warn("recovery: network namespace of sandbox {} vanished; marking it NOTREADY", r.id);
      SILO_RETURN_IF_ERROR(MarkNotReady(r.id));
    } else if (r.state == SandboxState::kReady) {
      absl::StatusOr<SandboxHost*> host = HostOf(r);
      absl::Status reopened = host.ok() ? (*host)->Reopen(r.id) : absl::OkStatus();
      if (absl::IsNotFound(reopened)) {
        spdlog::warn("recovery: sandbox {} cannot run any more ({}); marking it NOTREADY", r.id,
                     std::string(reopened.message()));
        SILO_RETURN_IF_ERROR(MarkNotReady(r.id));
      } else if (!reopened.ok()) {
        spdlog::warn("recovery: cannot re-open sandbox {}: {}", r.id, std::string(reopened.message()));
      }
    }
    known.insert(r.id);
    (void)names_.Reserve(store::MakeSandboxName([&] {
                           ::runtime::v1::PodSandboxMetadata md;
                           md.set_name(r.metadata.name);
                           md.set_namespace_(r.metadata.namespace_);
                           md.set_uid(r.metadata.uid);
                           md.set_attempt(r.metadata.attempt);
                           return md;
                         }()),
                         r.id);
  }

  // Leaks: host objects that no record owns, on every configured handler's
  // host. Handlers of one type share their objects: each is removed once.
  std::set<std::string> torn_down;
  for (size_t i = 0; i < handlers_->Specs().size(); ++i) {
    const handler::HandlerSpec& spec = handlers_->Specs()[i];
    SandboxHost& host = handlers_->At(i).Sandboxes();
    // A handler that cannot list is warned about; the others still recover.
    absl::StatusOr<std::vector<std::string>> namespaces = host.ListNamespaces();
    if (!namespaces.ok()) {
      spdlog::warn("recovery: cannot list the namespaces of handler \"{}\": {}", spec.name,
                   std::string(namespaces.status().message()));
      namespaces = std::vector<std::string>{};
    }
    for (const auto& id : *namespaces) {
      if (known.count(id) || !torn_down.insert(id).second) continue;
      SandboxRecord orphan;
      orphan.id = id;
      orphan.runtime_handler = spec.name;
      orphan.handler_type = spec.type;
      absl::Status s = TearDown(orphan);
      if (!s.ok()) spdlog::warn("recovery: leaked namespaces of {}: {}", id, std::string(s.message()));
    }
    absl::StatusOr<std::vector<std::string>> groups = host.ListPodGroups();
    if (!groups.ok()) {
      spdlog::warn("recovery: cannot list the pod groups of handler \"{}\": {}", spec.name,
                   std::string(groups.status().message()));
      groups = std::vector<std::string>{};
    }
    for (const auto& id : *groups) {
      if (known.count(id) || torn_down.count(id)) continue;
      absl::Status s = host.RemovePodGroup(id);
      if (!s.ok()) spdlog::warn("recovery: leaked pod group {}: {}", id, std::string(s.message()));
    }
  }
  return absl::OkStatus();
}

bool SandboxManager::NamespaceVanished(const SandboxRecord& record) const {
  absl::StatusOr<SandboxHost*> host = HostOf(record);
  // Without its handler the namespace cannot be checked: leave the state be.
  return host.ok() && !(*host)->NetworkNamespaceExists(record.netns_path);
}

}  // namespace silo::runtime::sandbox
