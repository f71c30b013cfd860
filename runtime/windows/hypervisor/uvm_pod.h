#pragma once
// UvmPod: the utility VM of one Hyper-V isolated pod over the HCS API table,
// from nothing to a running VM holding the pod's network namespace, and back.
//
//   Create: grant the VM its scratch ─> create ─> start ─> guest namespace
//           ─> for each endpoint: adapter PreAdd, Add
//   Stop:   adapters removed (last first) ─> namespace removed ─> VM shut
//           down (then terminated) and its handle closed ─> grant revoked
//
// Every step of Create pushes its undo on a CleanupStack; when a step fails
// the stack unwinds, so a failed Create leaves no HCS system, no grant and
// no handle behind. Stop runs the same stack. Preparing the scratch file (a
// copy of UtilityVM\SystemTemplate.vhdx) and deleting it are the caller's,
// as are the containers the VM hosts, which must be gone before Stop.
//
// Destroying a UvmPod that was not stopped only closes its handle: the VM
// outlives the object (and silod), as a pod must across a restart, unless
// its document set ShouldTerminateOnLastHandleClosed.
// Not thread-safe: one owner drives it.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "runtime/windows/hcs/api.h"
#include "runtime/windows/hcs/compute_system.h"
#include "runtime/windows/hypervisor/cleanup_stack.h"
#include "runtime/windows/hypervisor/uvm_document.h"

namespace silo::runtime::windows::hypervisor {

struct UvmEndpoint {
  std::string adapter_id;     // GUID naming the VM's NIC
  nlohmann::json hcn_endpoint;  // HostComputeEndpoint document (Id, MacAddress, ...)
};

struct UvmPodSpec {
  UvmDocumentInput document;      // document.vm_id is the HCS id, e.g. "<pod id>@vm"
  nlohmann::json hcn_namespace;   // HostComputeNamespace document; null = no networking
  std::vector<UvmEndpoint> endpoints;  // need hcn_namespace
};

class UvmPod {
 public:
  // InvalidArgument for a bad spec (nothing is called then); otherwise the
  // failing step's status, after every earlier step was undone (a failed
  // undo is appended to the message: the caller must then treat the pod as
  // UNKNOWN and retry removal).
  static absl::StatusOr<std::unique_ptr<UvmPod>> Create(const hcs::HcsApi& api, UvmPodSpec spec,
                                                        hcs::Deadline deadline);
  // Re-opens the VM a previous process created with `spec` (after a silod
  // restart), so that Stop can tear it down as Create's owner would have.
  // NotFound when the VM is gone.
  static absl::StatusOr<std::unique_ptr<UvmPod>> Open(const hcs::HcsApi& api, const UvmPodSpec& spec);
  ~UvmPod();
  UvmPod(const UvmPod&) = delete;
  UvmPod& operator=(const UvmPod&) = delete;

  const std::string& vm_id() const { return vm_id_; }
  hcs::ComputeSystem& system() { return *system_; }

  // Tears everything down in reverse (see above): shutdown until `grace`,
  // then terminate until `deadline`. Every step runs even if one fails; the
  // first failure is returned with all of them named. Idempotent.
  absl::Status Stop(hcs::Deadline grace, hcs::Deadline deadline);

 private:
  UvmPod(const hcs::HcsApi& api, std::string vm_id) : api_(api), vm_id_(std::move(vm_id)) {}
  absl::Status Build(const UvmPodSpec& spec, hcs::Deadline deadline);
  absl::Status Modify(const absl::StatusOr<std::string>& request, hcs::Deadline deadline);
  // Each pushes the undo of one Create step.
  void PushRevoke(const std::string& scratch);
  void PushStop();
  void PushNamespaceRemoval(const nlohmann::json& hcn_namespace);
  void PushAdapterRemoval(const UvmEndpoint& endpoint);

  const hcs::HcsApi& api_;
  const std::string vm_id_;
  std::unique_ptr<hcs::ComputeSystem> system_;
  CleanupStack teardown_;
  // The undo actions read these; Stop sets them, Create's rollback uses its deadline.
  hcs::Deadline grace_{};
  hcs::Deadline deadline_{};
  bool graceful_ = false;  // Stop shuts down first; a rollback terminates
};

}  // namespace silo::runtime::windows::hypervisor
