#include "runtime/windows/hypervisor/hosted_container.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "runtime/windows/hresult.h"
#include "runtime/windows/hypervisor/stop_system.h"

namespace silo::runtime::windows::hypervisor {

absl::StatusOr<std::unique_ptr<HostedContainer>> HostedContainer::Create(const hcs::HcsApi& api,
                                                                         hcs::ComputeSystem& vm,
                                                                         UvmDevices& devices,
                                                                         HostedContainerSpec spec,
                                                                         hcs::Deadline deadline) {
  std::unique_ptr<HostedContainer> c(new HostedContainer());
  c->deadline_ = deadline;
  absl::Status built = c->Build(api, vm, devices, std::move(spec), deadline);
  if (built.ok()) return c;
  return c->teardown_.Rollback(built);
}

HostedContainer::~HostedContainer() {
  teardown_.Dismiss();
  if (system_ != nullptr) system_->Close();
}

absl::Status HostedContainer::Build(const hcs::HcsApi& api, hcs::ComputeSystem& vm, UvmDevices& devices,
                                    HostedContainerSpec spec, hcs::Deadline deadline) {
  id_ = spec.document.spec.container_id;
  if (id_.empty()) return absl::InvalidArgumentError("hosted container needs an id");
  if (!spec.document.spec.mounts.empty()) {
    // Refused before anything is mounted (the document builder would refuse it later).
    return absl::UnimplementedError(absl::StrCat("container ", id_, ": mounts into Hyper-V isolated containers are not supported yet"));
  }
  absl::StatusOr<std::unique_ptr<ContainerLayers>> layers =
      ContainerLayers::Mount(api, vm, devices, spec.layers, spec.scratch_vhd_path, deadline);
  if (!layers.ok()) return layers.status();
  layers_ = std::move(*layers);
  teardown_.Push(absl::StrCat("releasing layers of ", id_), [this] { return layers_->Release(deadline_); });

  spec.document.hosting_system_id = vm.id();
  spec.document.layers = layers_->guest_layers();
  spec.document.container_root_path = layers_->root();
  absl::StatusOr<std::string> document = BuildHostedContainerDocument(spec.document);
  if (!document.ok()) return document.status();

  auto created = hcs::ComputeSystem::Create(api, id_, *document, deadline);
  if (!created.ok()) return HrStatusToStatus(created.status(), "HcsCreateComputeSystem", id_);
  system_ = std::move(*created);
  teardown_.Push(absl::StrCat("stopping ", id_),
                 [this] { return StopAndClose(*system_, graceful_, grace_, deadline_); });
  return HrStatusToStatus(system_->Start(deadline), "HcsStartComputeSystem", id_);
}

absl::Status HostedContainer::Stop(hcs::Deadline grace, hcs::Deadline deadline) {
  grace_ = grace;
  deadline_ = deadline;
  graceful_ = true;
  return teardown_.Unwind();
}

}  // namespace silo::runtime::windows::hypervisor
