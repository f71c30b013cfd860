#pragma once
// HypervisorSandboxHost: the SandboxHost of Hyper-V isolated pods (handler
// type "hypervisor"). EXPERIMENTAL: it relies on HCS relaying hosted
// containers, guest requests and processes into the utility VM
// (GuestConnection in the VM document), which hcsshim has not used for
// Windows guests since 2019 (it talks to the guest agent over its own
// hvsocket bridge); only a real Windows Server 2022/2025 Hyper-V host can
// confirm that the relay still works.
//
// A pod is
//   namespaces  the pod's HCN namespace, made as for process-isolated pods
//               (a WindowsSandboxHost without pause or job does it, with its
//               markers in <state_dir>/namespaces)
//   StartPod    a utility VM "<sandbox id>@vm" (UvmPod) booted from the
//               sandbox image's UtilityVM (prepare_vm), sized by the
//               handler's defaults overridden by the pod's
//               io.microsoft.virtualmachine.* annotations (uvm_options.h:
//               an invalid value is InvalidArgument naming it, before
//               anything is made); the namespace is added to the guest and
//               each of its endpoints (CNI made them) becomes a VM network
//               adapter
//   StopPod     what containers still hold in the VM is released (last
//               first), then the adapters, the namespace and the VM go
//               (UvmPod::Stop: shutdown, terminate), then the VM's files
//               (release_vm)
// Each step rolls back every earlier one when it fails (UvmPod's cleanup
// stack), so a failed StartPod leaves nothing in HCS or the state dir.
//
// Restarts: the VM outlives silod (it is created without
// ShouldTerminateOnLastHandleClosed). Before the VM is created its record
// (pod_vm_record.h) is written atomically; the container host adds each
// container's mounts to it. Reopen re-opens "<id>@vm" and re-adopts those
// mounts (NotFound when the VM is gone); ListNamespaces names every pod
// with a record, a namespace marker or a VM of options.owner, so recovery
// tears down what no sandbox record owns.
//
// Thread-safe; the manager serialises calls for one sandbox.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "network/hns/api.h"
#include "runtime/sandbox/sandbox_host.h"
#include "runtime/windows/hcs/api.h"
#include "runtime/windows/hypervisor/pod_vms.h"
#include "runtime/windows/hypervisor/uvm_options.h"
#include "runtime/windows/jobobject/api.h"
#include "runtime/windows/sandbox/windows_sandbox_host.h"

namespace silo::runtime::windows::hypervisor {

inline constexpr char kHypervisorHandlerType[] = "hypervisor";
inline constexpr char kDefaultHypervisorHandlerName[] = "runhcs-wcow-hypervisor";
// The SandboxRecord::platform_data key of the pod's utility VM id.
inline constexpr char kUvmIdKey[] = "uvm_id";

// "<sandbox id>@vm", the HCS id of the pod's utility VM.
std::string UvmIdFor(const std::string& sandbox_id);

// The files a utility VM boots from.
struct UvmBootFiles {
  std::string utility_vm_path;   // <sandbox image base layer>\UtilityVM
  std::string scratch_vhd_path;  // a fresh copy of its SystemTemplate.vhdx
};

struct HypervisorSandboxHostOptions {
  // HCS Owner of the utility VMs: not the hosted containers' owner.
  std::string owner = "silo-uvm";
  // Sizing before the pod's annotations (config: uvm_memory_mb, uvm_processors).
  UvmOptions defaults;
  uint32_t host_processor_count = 0;  // 0 = do not clamp the processor count
  // Required: the pods' records and the namespace markers.
  std::string state_dir;
  std::chrono::milliseconds call_timeout{std::chrono::minutes(4)};
  // How long the VM may take to shut down before it is terminated.
  std::chrono::milliseconds stop_grace{std::chrono::seconds(30)};
  // Required: makes the VM's boot files, and deletes them (idempotent).
  std::function<absl::StatusOr<UvmBootFiles>(const std::string& sandbox_id)> prepare_vm;
  std::function<absl::Status(const std::string& sandbox_id)> release_vm;
  // The id of a new VM network adapter (a random version-4 GUID, as
  // hcsshim's AddEndpointsToNS picks; adapter_id.h); unset = RandomGuid().
  // silod draws them from BCryptGenRandom.
  std::function<absl::StatusOr<std::string>()> new_adapter_id;
};

class HypervisorSandboxHost final : public sandbox::SandboxHost {
 public:
  // The tables are not owned and must outlive the host; `pods` is shared
  // with the handler's container host.
  HypervisorSandboxHost(const hcs::HcsApi* hcs, const network::hns::HcnApi* hcn, const jobobject::JobApi* jobs,
                        std::shared_ptr<PodVms> pods, HypervisorSandboxHostOptions options);
  ~HypervisorSandboxHost() override;

  absl::StatusOr<std::string> CreateNamespaces(const std::string& id,
                                               const sandbox::NamespaceRequest& request) override;
  absl::Status RemoveNamespaces(const std::string& id) override;
  std::string NetworkNamespaceFor(const std::string& id) const override;
  bool NetworkNamespaceExists(const std::string& handle) const override;
  absl::StatusOr<std::vector<std::string>> ListNamespaces() const override;
  absl::StatusOr<std::string> CreatePodGroup(const std::string& id) override;
  absl::Status RemovePodGroup(const std::string& id) override;
  absl::StatusOr<std::vector<std::string>> ListPodGroups() const override;

  // Records the VM's id under kUvmIdKey.
  absl::StatusOr<nlohmann::json> StartPod(const std::string& id, const sandbox::PodStart& start) override;
  absl::Status StopPod(const std::string& id) override;
  absl::Status Reopen(const std::string& id) override;

 private:
  // The namespace document and one adapter per endpoint in it.
  absl::Status AddNetwork(const std::string& netns, UvmPodSpec& spec) const;
  // Re-opens the VM a record names and re-adopts its containers' mounts.
  absl::StatusOr<std::shared_ptr<PodVm>> Adopt(const std::string& id, const PodVmRecord& record);
  absl::Status ForgetPod(const std::string& id);
  absl::Status StopUnrecordedVm(const std::string& id);
  hcs::Deadline CallDeadline() const;
  std::vector<std::string> RecordIds() const;

  const hcs::HcsApi* const hcs_;
  const network::hns::HcnApi* const hcn_;
  const std::shared_ptr<PodVms> pods_;
  const HypervisorSandboxHostOptions options_;
  WindowsSandboxHost namespaces_;
};

}  // namespace silo::runtime::windows::hypervisor
