#pragma once
// The StatsSource of Hyper-V isolated pods, through HCS properties, as
// hcsshim reads them (internal/uvm/stats.go, internal/hcs/system.go):
//   container  the hosted container's compute system: its "Statistics"
//              property (Processor.TotalRuntime100ns, Memory commit and
//              private working set), as for an Argon
//   pod        the utility VM "<pod id>@vm": Statistics.Processor for its
//              CPU time, and the "Memory" property's
//              VirtualMachineMemory.AssignedMemory (4 KiB pages) for its
//              working set. The VM holds every process of the pod, so its
//              counters are the pod's totals (SandboxGroupHoldsContainers);
//              hcsshim reads the vmmem process's working set instead when
//              the VM's memory is not physically backed, which no HCS call
//              reports
//   network,   the process-isolated source's (`windows`): HNS endpoint
//   writable   statistics of the pod's namespace, the scratch folder
// Each read opens the system by id and closes it again.
// Thread-safe (the table is immutable; `windows` must be thread-safe).

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "runtime/stats/stats_source.h"
#include "runtime/windows/hcs/api.h"

namespace silo::runtime::windows::hypervisor {

class HypervisorStatsSource final : public stats::StatsSource {
 public:
  // `hcs` is not owned and must outlive the source.
  HypervisorStatsSource(const hcs::HcsApi* hcs, std::unique_ptr<stats::StatsSource> windows,
                        std::chrono::milliseconds call_timeout = std::chrono::seconds(10));

  stats::StatsFormat Format() const override { return stats::StatsFormat::kWindows; }
  // The container's compute-system id.
  std::string ContainerGroup(const model::SandboxRecord& sandbox, const std::string& container_id) const override;
  // The pod's utility VM id.
  std::string SandboxGroup(const model::SandboxRecord& sandbox) const override;
  bool SandboxGroupHoldsContainers() const override { return true; }
  // NotFound when the system is gone; Internal naming a malformed answer.
  absl::StatusOr<stats::GroupCounters> ReadGroup(const std::string& group) override;
  absl::StatusOr<std::vector<stats::InterfaceCounters>> ReadNetwork(const std::string& netns) override;
  absl::StatusOr<stats::FsUsage> ReadWritableLayer(const std::string& container_id) override;

 private:
  const hcs::HcsApi* const hcs_;
  const std::unique_ptr<stats::StatsSource> windows_;
  const std::chrono::milliseconds call_timeout_;
};

}  // namespace silo::runtime::windows::hypervisor
