#include "runtime/windows/hypervisor/hypervisor_container_host.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/base/status_macros.h"
#include "runtime/windows/hypervisor/hosted_container_document.h"

namespace silo::runtime::windows::hypervisor {
namespace {

// The container side of the pods' VMs: mounts, documents and releases.
class HostedLayers {
 public:
  HostedLayers(const hcs::HcsApi* api, std::shared_ptr<PodVms> pods, const HypervisorContainerHostOptions& o)
      : api_(api),
        pods_(std::move(pods)),
        prepare_(o.prepare_layers),
        release_(o.release_layers),
        timeout_(o.containers.call_timeout) {}

  absl::StatusOr<WindowsRootfs> Mount(const container::CreateSpec& spec) {
    if (!prepare_ || !release_) return absl::FailedPreconditionError("hypervisor create: no layer store is wired");
    SILO_ASSIGN_OR_RETURN(std::shared_ptr<PodVm> pod, PodOf(spec));
    SILO_ASSIGN_OR_RETURN(HostedRootfs rootfs, prepare_(spec));
    absl::Status s = MountIn(*pod, spec.id, rootfs);
    if (!s.ok()) {
      (void)release_(spec.id);
      return s;
    }
    WindowsRootfs out;
    for (const HostLayer& layer : rootfs.layers) out.parent_layers.push_back({layer.id, layer.host_path});
    out.scratch_volume_path = rootfs.scratch_vhd_path;
    return out;
  }

  absl::StatusOr<std::string> Document(const container::CreateSpec& spec, const ContainerSpecInput& input) {
    SILO_ASSIGN_OR_RETURN(std::shared_ptr<PodVm> pod, PodOf(spec));
    silo::MutexLock lock(&pod->mu);
    auto it = pod->mounts.find(spec.id);
    if (it == pod->mounts.end() || pod->vm == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat("container ", spec.id, ": its layers are not mounted"));
    }
    HostedContainerInput hosted;
    hosted.hosting_system_id = pod->vm->vm_id();
    hosted.spec = input;
    hosted.layers = it->second->guest_layers();
    hosted.container_root_path = it->second->root();
    return BuildHostedContainerDocument(hosted);
  }

  absl::Status Release(const std::string& id) {
    absl::Status first;
    if (std::shared_ptr<PodVm> pod = pods_->FindByContainer(id)) {
      silo::MutexLock lock(&pod->mu);
      auto it = pod->mounts.find(id);
      if (it != pod->mounts.end()) {
        first = it->second->Release(Deadline());
        pod->mounts.erase(it);
        pod->record.containers.erase(id);
        absl::Status saved = pods_->Save(*pod);
        if (first.ok()) first = saved;
      }
    }
    absl::Status released = release_ ? release_(id) : absl::OkStatus();
    if (!first.ok()) return Annotate(first, absl::StrCat("container ", id, ": releasing its layers in the utility VM"));
    return released;
  }

 private:
  hcs::Deadline Deadline() const { return hcs::Clock::now() + timeout_; }

  absl::StatusOr<std::shared_ptr<PodVm>> PodOf(const container::CreateSpec& spec) const {
    if (spec.sandbox == nullptr) return absl::InvalidArgumentError(absl::StrCat("container ", spec.id, ": no sandbox"));
    std::shared_ptr<PodVm> pod = pods_->Find(spec.sandbox->id);
    if (pod == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("container ", spec.id, ": sandbox ", spec.sandbox->id, " has no running utility VM"));
    }
    return pod;
  }

  absl::Status MountIn(PodVm& pod, const std::string& id, const HostedRootfs& rootfs) {
    silo::MutexLock lock(&pod.mu);
    if (pod.vm == nullptr) return absl::FailedPreconditionError(absl::StrCat("sandbox ", pod.sandbox_id, " is stopped"));
    if (pod.mounts.count(id) != 0) {
      return absl::AlreadyExistsError(absl::StrCat("container ", id, " already has layers in the utility VM"));
    }
    absl::StatusOr<std::unique_ptr<ContainerLayers>> layers =
        ContainerLayers::Mount(*api_, pod.vm->system(), pod.devices, rootfs.layers, rootfs.scratch_vhd_path, Deadline());
    if (!layers.ok()) return Annotate(layers.status(), absl::StrCat("container ", id, ": layers in the utility VM"));
    pod.record.containers[id] = (*layers)->mounted();
    if (absl::Status saved = pods_->Save(pod); !saved.ok()) {
      pod.record.containers.erase(id);
      return (*layers)->Release(Deadline()).ok() ? saved : Annotate(saved, "and releasing the layers failed");
    }
    pod.mounts[id] = std::move(*layers);
    return absl::OkStatus();
  }

  const hcs::HcsApi* const api_;
  const std::shared_ptr<PodVms> pods_;
  const std::function<absl::StatusOr<HostedRootfs>(const container::CreateSpec&)> prepare_;
  const std::function<absl::Status(const std::string&)> release_;
  const std::chrono::milliseconds timeout_;
};

}  // namespace

std::unique_ptr<container::ContainerHost> NewHypervisorContainerHost(const hcs::HcsApi* api,
                                                                     std::shared_ptr<PodVms> pods,
                                                                     HypervisorContainerHostOptions options) {
  auto layers = std::make_shared<HostedLayers>(api, std::move(pods), options);
  HcsContainerHostOptions o = std::move(options.containers);
  o.prepare_rootfs = [layers](const container::CreateSpec& spec) { return layers->Mount(spec); };
  o.release_rootfs = [layers](const std::string& id) { return layers->Release(id); };
  o.build_document = [layers](const container::CreateSpec& spec, const ContainerSpecInput& input) {
    return layers->Document(spec, input);
  };
  return std::make_unique<HcsContainerHost>(api, std::move(o));
}

}  // namespace silo::runtime::windows::hypervisor
