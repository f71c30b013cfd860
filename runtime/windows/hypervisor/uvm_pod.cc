#include "runtime/windows/hypervisor/uvm_pod.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "runtime/windows/hresult.h"
#include "runtime/windows/hypervisor/guest_network.h"
#include "runtime/windows/hypervisor/stop_system.h"
#include "runtime/windows/hypervisor/uvm_modify.h"
#include "runtime/windows/hypervisor/vm_access.h"

namespace silo::runtime::windows::hypervisor {
namespace {

absl::Status CheckSpec(const UvmPodSpec& spec) {
  if (spec.document.vm_id.empty()) return absl::InvalidArgumentError("utility VM needs an id");
  if (spec.hcn_namespace.is_null() && !spec.endpoints.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("utility VM ", spec.document.vm_id, ": endpoints without a network namespace"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<UvmPod>> UvmPod::Create(const hcs::HcsApi& api, UvmPodSpec spec,
                                                       hcs::Deadline deadline) {
  if (absl::Status s = CheckSpec(spec); !s.ok()) return s;
  std::unique_ptr<UvmPod> pod(new UvmPod(api, spec.document.vm_id));
  pod->deadline_ = deadline;
  absl::Status built = pod->Build(spec, deadline);
  if (built.ok()) return pod;
  return pod->teardown_.Rollback(built);
}

UvmPod::~UvmPod() {
  // Not stopped: leave the VM running for whoever re-opens it.
  teardown_.Dismiss();
  if (system_ != nullptr) system_->Close();
}

absl::Status UvmPod::Modify(const absl::StatusOr<std::string>& request, hcs::Deadline deadline) {
  return ModifyUvm(*system_, request, deadline);
}

void UvmPod::PushRevoke(const std::string& scratch) {
  teardown_.Push(absl::StrCat("revoking ", vm_id_, "'s access to ", scratch),
                 [this, scratch] { return RevokeVmAccess(api_, vm_id_, scratch); });
}

void UvmPod::PushStop() {
  teardown_.Push(absl::StrCat("stopping ", vm_id_),
                 [this] { return StopAndClose(*system_, graceful_, grace_, deadline_); });
}

void UvmPod::PushNamespaceRemoval(const nlohmann::json& hcn_namespace) {
  teardown_.Push(absl::StrCat("removing namespace from ", vm_id_), [this, hcn_namespace] {
    return Modify(BuildGuestNamespaceRemoveRequest(hcn_namespace), deadline_);
  });
}

void UvmPod::PushAdapterRemoval(const UvmEndpoint& e) {
  teardown_.Push(absl::StrCat("removing adapter ", e.adapter_id, " from ", vm_id_), [this, e] {
    return Modify(BuildNetworkAdapterRemoveRequest(e.adapter_id, e.hcn_endpoint), deadline_);
  });
}

absl::StatusOr<std::unique_ptr<UvmPod>> UvmPod::Open(const hcs::HcsApi& api, const UvmPodSpec& spec) {
  if (absl::Status s = CheckSpec(spec); !s.ok()) return s;
  std::unique_ptr<UvmPod> pod(new UvmPod(api, spec.document.vm_id));
  auto opened = hcs::ComputeSystem::Open(api, pod->vm_id_);
  if (!opened.ok()) return HrStatusToStatus(opened.status(), "HcsOpenComputeSystem", pod->vm_id_);
  pod->system_ = std::move(*opened);
  // The same undo stack Create would have left.
  pod->PushRevoke(spec.document.scratch_vhd_path);
  pod->PushStop();
  if (!spec.hcn_namespace.is_null()) pod->PushNamespaceRemoval(spec.hcn_namespace);
  for (const UvmEndpoint& e : spec.endpoints) pod->PushAdapterRemoval(e);
  return pod;
}

absl::Status UvmPod::Build(const UvmPodSpec& spec, hcs::Deadline deadline) {
  // Pure checks first, so a bad spec calls nothing.
  absl::StatusOr<std::string> document = BuildUvmDocument(spec.document);
  if (!document.ok()) return document.status();
  absl::StatusOr<std::string> ns_add;
  if (!spec.hcn_namespace.is_null()) {
    ns_add = BuildGuestNamespaceAddRequest(spec.hcn_namespace);
    if (!ns_add.ok()) return ns_add.status();
  }
  for (const UvmEndpoint& e : spec.endpoints) {
    if (absl::Status s = BuildNetworkAdapterAddRequest(e.adapter_id, e.hcn_endpoint).status(); !s.ok()) return s;
  }

  const std::string scratch = spec.document.scratch_vhd_path;
  if (absl::Status s = GrantVmAccess(api_, vm_id_, scratch); !s.ok()) return s;
  PushRevoke(scratch);

  auto created = hcs::ComputeSystem::Create(api_, vm_id_, *document, deadline);
  if (!created.ok()) return HrStatusToStatus(created.status(), "HcsCreateComputeSystem", vm_id_);
  system_ = std::move(*created);
  PushStop();

  if (absl::Status s = HrStatusToStatus(system_->Start(deadline), "HcsStartComputeSystem", vm_id_); !s.ok()) {
    return s;
  }

  if (spec.hcn_namespace.is_null()) return absl::OkStatus();
  if (absl::Status s = Modify(ns_add, deadline); !s.ok()) return s;
  PushNamespaceRemoval(spec.hcn_namespace);

  for (const UvmEndpoint& e : spec.endpoints) {
    if (absl::Status s = Modify(BuildNetworkAdapterPreAddRequest(e.adapter_id, e.hcn_endpoint), deadline); !s.ok()) {
      return s;
    }
    if (absl::Status s = Modify(BuildNetworkAdapterAddRequest(e.adapter_id, e.hcn_endpoint), deadline); !s.ok()) {
      return s;
    }
    PushAdapterRemoval(e);
  }
  return absl::OkStatus();
}

absl::Status UvmPod::Stop(hcs::Deadline grace, hcs::Deadline deadline) {
  grace_ = grace;
  deadline_ = deadline;
  graceful_ = true;
  return teardown_.Unwind();
}

}  // namespace silo::runtime::windows::hypervisor
