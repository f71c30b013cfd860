#include "runtime/windows/hypervisor/hypervisor_sandbox_host.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "network/hns/endpoint.h"
#include "network/hns/namespace.h"
#include "runtime/base/status_macros.h"
#include "runtime/windows/hcs/compute_system.h"
#include "runtime/windows/hresult.h"
#include "runtime/windows/hresult_codes.h"
#include "runtime/windows/hypervisor/adapter_id.h"
#include "runtime/windows/hypervisor/stop_system.h"
#include "spdlog/spdlog.h"

namespace silo::runtime::windows::hypervisor {
namespace {

constexpr char kVmSuffix[] = "@vm";
constexpr char kRecordSuffix[] = ".uvm.json";

WindowsSandboxHostOptions NamespaceOptions(const HypervisorSandboxHostOptions& o) {
  WindowsSandboxHostOptions n;
  n.owner = o.owner;
  n.namespaces = true;
  n.holder = PodHolder::kNone;  // the utility VM holds the namespace open
  n.state_dir = absl::StrCat(o.state_dir, "/namespaces");
  n.call_timeout = o.call_timeout;
  return n;
}

std::map<std::string, std::string> Annotations(const ::runtime::v1::PodSandboxConfig* config) {
  std::map<std::string, std::string> out;
  if (config != nullptr) out.insert(config->annotations().begin(), config->annotations().end());
  return out;
}

}  // namespace

std::string UvmIdFor(const std::string& sandbox_id) { return sandbox_id + kVmSuffix; }

HypervisorSandboxHost::HypervisorSandboxHost(const hcs::HcsApi* hcs, const network::hns::HcnApi* hcn,
                                             const jobobject::JobApi* jobs, std::shared_ptr<PodVms> pods,
                                             HypervisorSandboxHostOptions options)
    : hcs_(hcs),
      hcn_(hcn),
      pods_(std::move(pods)),
      options_(std::move(options)),
      namespaces_(hcs, hcn, jobs, NamespaceOptions(options_)) {}

// The VMs keep running: a restarted silod re-opens them.
HypervisorSandboxHost::~HypervisorSandboxHost() = default;

hcs::Deadline HypervisorSandboxHost::CallDeadline() const { return hcs::Clock::now() + options_.call_timeout; }

absl::StatusOr<std::string> HypervisorSandboxHost::CreateNamespaces(const std::string& id,
                                                                    const sandbox::NamespaceRequest& request) {
  return namespaces_.CreateNamespaces(id, request);
}
absl::Status HypervisorSandboxHost::RemoveNamespaces(const std::string& id) { return namespaces_.RemoveNamespaces(id); }
std::string HypervisorSandboxHost::NetworkNamespaceFor(const std::string& id) const {
  return namespaces_.NetworkNamespaceFor(id);
}
bool HypervisorSandboxHost::NetworkNamespaceExists(const std::string& handle) const {
  return namespaces_.NetworkNamespaceExists(handle);
}
absl::StatusOr<std::string> HypervisorSandboxHost::CreatePodGroup(const std::string& id) {
  return namespaces_.CreatePodGroup(id);
}
absl::Status HypervisorSandboxHost::RemovePodGroup(const std::string& id) { return namespaces_.RemovePodGroup(id); }
absl::StatusOr<std::vector<std::string>> HypervisorSandboxHost::ListPodGroups() const {
  return namespaces_.ListPodGroups();
}

std::vector<std::string> HypervisorSandboxHost::RecordIds() const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(options_.state_dir, ec)) {
    const std::string name = f.path().filename().string();
    if (absl::EndsWith(name, kRecordSuffix)) ids.push_back(name.substr(0, name.size() - sizeof(kRecordSuffix) + 1));
  }
  return ids;
}

absl::StatusOr<std::vector<std::string>> HypervisorSandboxHost::ListNamespaces() const {
  SILO_ASSIGN_OR_RETURN(std::vector<std::string> listed, namespaces_.ListNamespaces());
  std::set<std::string> ids(listed.begin(), listed.end());
  for (std::string& id : RecordIds()) ids.insert(std::move(id));
  // A VM whose record is gone (a wiped state dir) is still ours by owner.
  hcs::EnumerateQuery q;
  q.owners = {options_.owner};
  auto systems = hcs::ComputeSystem::Enumerate(*hcs_, q, CallDeadline());
  if (!systems.ok()) return HrStatusToStatus(systems.status(), "HcsEnumerateComputeSystems", options_.owner);
  for (const auto& s : *systems) {
    if (absl::EndsWith(s.id, kVmSuffix)) ids.insert(s.id.substr(0, s.id.size() - sizeof(kVmSuffix) + 1));
  }
  return std::vector<std::string>(ids.begin(), ids.end());
}

absl::Status HypervisorSandboxHost::AddNetwork(const std::string& netns, UvmPodSpec& spec) const {
  auto ns = network::hns::GetNamespace(*hcn_, netns);
  if (!ns.ok()) return HrStatusToStatus(ns.status(), "HcnQueryNamespaceProperties", netns);
  spec.hcn_namespace = {{"Id", ns->id}};
  if (!ns->type.empty()) spec.hcn_namespace["Type"] = ns->type;
  for (const std::string& endpoint_id : ns->EndpointIds()) {
    auto ep = network::hns::GetEndpoint(*hcn_, endpoint_id);
    if (!ep.ok()) return HrStatusToStatus(ep.status(), "HcnQueryEndpointProperties", endpoint_id);
    absl::StatusOr<std::string> adapter = options_.new_adapter_id ? options_.new_adapter_id() : RandomGuid();
    if (!adapter.ok()) return adapter.status();
    spec.endpoints.push_back({*adapter, {{"Id", ep->id}, {"MacAddress", ep->mac_address}}});
  }
  return absl::OkStatus();
}

absl::StatusOr<nlohmann::json> HypervisorSandboxHost::StartPod(const std::string& id, const sandbox::PodStart& start) {
  const std::string vm_id = UvmIdFor(id);
  const nlohmann::json started = {{kUvmIdKey, vm_id}};
  // Refused before anything is made.
  absl::StatusOr<UvmOptions> sizing = ApplyUvmAnnotations(options_.defaults, Annotations(start.config));
  if (!sizing.ok()) return Annotate(sizing.status(), absl::StrCat("sandbox ", id));
  if (!options_.prepare_vm || !options_.release_vm) {
    return absl::FailedPreconditionError("hypervisor sandbox host: no utility VM image is wired");
  }
  if (pods_->Find(id) != nullptr) return started;  // a retry in this silod

  UvmPodSpec spec;
  spec.document.vm_id = vm_id;
  spec.document.owner = options_.owner;
  spec.document.options = *sizing;
  spec.document.host_processor_count = options_.host_processor_count;
  if (!start.netns.empty()) {
    if (hcn_ == nullptr) return absl::FailedPreconditionError("hypervisor sandbox host: no HCN API table");
    SILO_RETURN_IF_ERROR(Annotate(AddNetwork(start.netns, spec), absl::StrCat("sandbox ", id, ": network")));
  }
  absl::StatusOr<UvmBootFiles> files = options_.prepare_vm(id);
  if (!files.ok()) return Annotate(files.status(), absl::StrCat("sandbox ", id, ": utility VM image"));
  spec.document.utility_vm_path = files->utility_vm_path;
  spec.document.scratch_vhd_path = files->scratch_vhd_path;

  auto pod = std::make_shared<PodVm>(id);
  absl::Status s;
  {
    silo::MutexLock lock(&pod->mu);
    pod->record.vm = spec;
    pod->record.utility_vm_path = files->utility_vm_path;
    pod->devices.vsmb_no_direct_map = sizing->vsmb_no_direct_map || sizing->fully_physically_backed;
    // Written before the VM exists, so a crash while it boots still names it.
    s = pods_->Save(*pod);
    if (s.ok()) {
      absl::StatusOr<std::unique_ptr<UvmPod>> vm = UvmPod::Create(*hcs_, spec, CallDeadline());
      if (vm.ok()) {
        pod->vm = std::move(*vm);
      } else {
        s = vm.status();
      }
    }
  }
  if (!s.ok()) {
    absl::Status undone = ForgetPod(id);
    if (!undone.ok()) spdlog::error("sandbox {}: undoing its utility VM: {}", id, std::string(undone.message()));
    return Annotate(s, absl::StrCat("sandbox ", id, ": utility VM ", vm_id));
  }
  pods_->Put(std::move(pod));
  return started;
}

absl::Status HypervisorSandboxHost::ForgetPod(const std::string& id) {
  absl::Status s = DeletePodVmRecord(options_.state_dir, id);
  absl::Status released = options_.release_vm ? options_.release_vm(id) : absl::OkStatus();
  return s.ok() ? released : s;
}

absl::StatusOr<std::shared_ptr<PodVm>> HypervisorSandboxHost::Adopt(const std::string& id,
                                                                   const PodVmRecord& record) {
  absl::StatusOr<std::unique_ptr<UvmPod>> vm = UvmPod::Open(*hcs_, record.vm);
  if (!vm.ok()) return Annotate(vm.status(), absl::StrCat("sandbox ", id, ": utility VM"));
  auto pod = std::make_shared<PodVm>(id);
  silo::MutexLock lock(&pod->mu);
  pod->vm = std::move(*vm);
  pod->record = record;
  for (const auto& [container_id, mounted] : record.containers) {
    absl::StatusOr<std::unique_ptr<ContainerLayers>> layers =
        ContainerLayers::Adopt(*hcs_, pod->vm->system(), pod->devices, mounted);
    if (!layers.ok()) return Annotate(layers.status(), absl::StrCat("sandbox ", id, ": container ", container_id));
    pod->mounts[container_id] = std::move(*layers);
  }
  return pod;
}

absl::Status HypervisorSandboxHost::Reopen(const std::string& id) {
  SILO_RETURN_IF_ERROR(namespaces_.Reopen(id));
  if (pods_->Find(id) != nullptr) return absl::OkStatus();
  absl::StatusOr<PodVmRecord> record = LoadPodVmRecord(options_.state_dir, id);
  if (!record.ok()) {
    if (absl::IsNotFound(record.status())) {
      return absl::NotFoundError(absl::StrCat("sandbox ", id, ": no record of its utility VM"));
    }
    return record.status();
  }
  SILO_ASSIGN_OR_RETURN(std::shared_ptr<PodVm> pod, Adopt(id, *record));
  pods_->Put(std::move(pod));
  return absl::OkStatus();
}

absl::Status HypervisorSandboxHost::StopUnrecordedVm(const std::string& id) {
  auto vm = hcs::ComputeSystem::Open(*hcs_, UvmIdFor(id));
  if (!vm.ok()) {
    if (codes::IsNotExist(vm.status().hr())) return absl::OkStatus();
    return HrStatusToStatus(vm.status(), "HcsOpenComputeSystem", UvmIdFor(id));
  }
  const hcs::Deadline grace = hcs::Clock::now() + options_.stop_grace;
  return StopAndClose(**vm, /*graceful=*/true, grace, grace + options_.call_timeout);
}

absl::Status HypervisorSandboxHost::StopPod(const std::string& id) {
  std::shared_ptr<PodVm> pod = pods_->Find(id);
  if (pod == nullptr) {
    // Not running in this silod: a previous one's VM, or none at all.
    absl::StatusOr<PodVmRecord> record = LoadPodVmRecord(options_.state_dir, id);
    if (!record.ok() && !absl::IsNotFound(record.status())) return record.status();
    if (!record.ok()) {
      // A VM of ours that no record names (a wiped state dir) still goes.
      SILO_RETURN_IF_ERROR(StopUnrecordedVm(id));
      return options_.release_vm ? options_.release_vm(id) : absl::OkStatus();
    }
    absl::StatusOr<std::shared_ptr<PodVm>> adopted = Adopt(id, *record);
    if (!adopted.ok() && !absl::IsNotFound(adopted.status())) return adopted.status();
    if (!adopted.ok()) return ForgetPod(id);  // the VM went, and with it what it held
    pod = *adopted;
    pods_->Put(pod);
  }
  const hcs::Deadline grace = hcs::Clock::now() + options_.stop_grace;
  const hcs::Deadline deadline = grace + options_.call_timeout;
  absl::Status first;
  {
    silo::MutexLock lock(&pod->mu);
    // Another stop got here first and released the VM. Whether it failed
    // (its record kept for a retry) is that stop's to say: forgetting the
    // pod here could drop the record of a VM still running.
    if (pod->vm == nullptr) {
      return absl::AbortedError(absl::StrCat("sandbox ", id, ": stopped concurrently by another call; retry"));
    }
    // Containers normally released theirs when they were removed.
    for (auto it = pod->mounts.rbegin(); it != pod->mounts.rend(); ++it) {
      absl::Status s = it->second->Release(deadline);
      if (!s.ok() && first.ok()) first = Annotate(s, absl::StrCat("container ", it->first));
    }
    pod->mounts.clear();
    pod->record.containers.clear();
    absl::Status s = pod->vm->Stop(grace, deadline);
    if (!s.ok() && first.ok()) first = s;
    // A create that found the pod before it was taken sees it stopped, and
    // never touches the closed VM handle nor writes the record again.
    pod->vm.reset();
  }
  // A failure keeps the record: a retry re-opens the VM from it.
  pods_->Take(id);
  if (!first.ok()) return Annotate(first, absl::StrCat("sandbox ", id, ": stopping its utility VM"));
  return ForgetPod(id);
}

}  // namespace silo::runtime::windows::hypervisor
