#include "runtime/windows/hypervisor/hypervisor_stats_source.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/windows/hcs/compute_system.h"
#include "runtime/windows/hresult.h"
#include "runtime/windows/hresult_codes.h"
#include "runtime/windows/hypervisor/hypervisor_sandbox_host.h"
#include "runtime/windows/stats/windows_stats.h"

namespace silo::runtime::windows::hypervisor {
namespace {

using nlohmann::json;

constexpr uint64_t kPageBytes = 4096;  // AssignedMemory counts 4 KiB pages

// The VM's counters: CPU from Statistics, working set from the memory assigned to it.
absl::StatusOr<stats::GroupCounters> VmCounters(const json& props, const std::string& id) {
  const json* runtime = props.contains("Statistics") ? &props["Statistics"] : nullptr;
  if (runtime == nullptr || !runtime->contains("Processor") || !(*runtime)["Processor"].contains("TotalRuntime100ns") ||
      !(*runtime)["Processor"]["TotalRuntime100ns"].is_number_unsigned()) {
    return absl::InternalError(absl::StrCat("utility VM ", id, ": no Statistics.Processor.TotalRuntime100ns"));
  }
  stats::GroupCounters g;
  g.cpu_usage_ns = (*runtime)["Processor"]["TotalRuntime100ns"].get<uint64_t>() * 100;
  const json vm_memory = props.value("Memory", json::object()).value("VirtualMachineMemory", json::object());
  if (vm_memory.contains("AssignedMemory") && vm_memory["AssignedMemory"].is_number_unsigned()) {
    stats::MemoryCounters m;
    m.working_set_bytes = vm_memory["AssignedMemory"].get<uint64_t>() * kPageBytes;
    m.usage_bytes = m.working_set_bytes;
    g.memory = m;
  }
  return g;
}

}  // namespace

HypervisorStatsSource::HypervisorStatsSource(const hcs::HcsApi* hcs, std::unique_ptr<stats::StatsSource> windows,
                                             std::chrono::milliseconds call_timeout)
    : hcs_(hcs), windows_(std::move(windows)), call_timeout_(call_timeout) {}

std::string HypervisorStatsSource::ContainerGroup(const model::SandboxRecord&, const std::string& container_id) const {
  return container_id;
}

std::string HypervisorStatsSource::SandboxGroup(const model::SandboxRecord& sandbox) const {
  return UvmIdFor(sandbox.id);
}

absl::StatusOr<stats::GroupCounters> HypervisorStatsSource::ReadGroup(const std::string& group) {
  const hcs::Deadline deadline = hcs::Clock::now() + call_timeout_;
  auto system = hcs::ComputeSystem::Open(*hcs_, group);
  if (!system.ok()) {
    if (codes::IsNotExist(system.status().hr())) return absl::NotFoundError(absl::StrCat("compute system ", group));
    return HrStatusToStatus(system.status(), "HcsOpenComputeSystem", group);
  }
  const bool vm = absl::EndsWith(group, UvmIdFor(""));  // "<pod id>@vm"
  const char* query = vm ? R"({"PropertyTypes":["Statistics","Memory"]})" : R"({"PropertyTypes":["Statistics"]})";
  win32::Result<std::string> answer = (*system)->Properties(query, deadline);
  (*system)->Close();
  if (!answer.ok()) {
    if (codes::IsNotExist(answer.status().hr())) return absl::NotFoundError(absl::StrCat("compute system ", group));
    return HrStatusToStatus(answer.status(), "HcsGetComputeSystemProperties", group);
  }
  const json props = json::parse(*answer, nullptr, false);
  if (!props.is_object()) return absl::InternalError(absl::StrCat("compute system ", group, ": properties are not JSON"));
  if (vm) return VmCounters(props, group);
  if (!props.contains("Statistics")) return absl::InternalError(absl::StrCat("container ", group, ": no Statistics"));
  absl::StatusOr<stats::GroupCounters> counters = FromHcsStatistics(props["Statistics"]);
  if (!counters.ok()) return absl::InternalError(absl::StrCat("container ", group, ": ", counters.status().message()));
  return counters;
}

absl::StatusOr<std::vector<stats::InterfaceCounters>> HypervisorStatsSource::ReadNetwork(const std::string& netns) {
  return windows_->ReadNetwork(netns);
}

absl::StatusOr<stats::FsUsage> HypervisorStatsSource::ReadWritableLayer(const std::string& container_id) {
  return windows_->ReadWritableLayer(container_id);
}

}  // namespace silo::runtime::windows::hypervisor
