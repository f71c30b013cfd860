#include "runtime/windows/stats/windows_stats.h"

#include "absl/strings/str_cat.h"

namespace silo::runtime::windows {
namespace {

absl::StatusOr<uint64_t> Number(const nlohmann::json& doc, const char* section, const char* key) {
  const nlohmann::json* node = &doc;
  std::string where = key;
  if (section != nullptr) {
    if (!doc.contains(section) || !doc[section].is_object()) {
      return absl::InvalidArgumentError(absl::StrCat("statistics: no ", section, " section"));
    }
    node = &doc[section];
    where = absl::StrCat(section, ".", key);
  }
  if (!node->contains(key)) return uint64_t{0};  // HCS omits zero fields
  const nlohmann::json& v = (*node)[key];
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0)) {
    return absl::InvalidArgumentError(absl::StrCat("statistics: ", where, " is not a non-negative integer"));
  }
  return v.get<uint64_t>();
}

void SetAttributes(const model::ContainerRecord& r, ::runtime::v1::ContainerAttributes* a) {
  a->set_id(r.id);
  a->mutable_metadata()->set_name(r.metadata.name);
  a->mutable_metadata()->set_attempt(r.metadata.attempt);
  a->mutable_labels()->insert(r.labels.begin(), r.labels.end());
  a->mutable_annotations()->insert(r.annotations.begin(), r.annotations.end());
}

void SetCpu(const Snapshot& s, ::runtime::v1::WindowsCpuUsage* cpu) {
  cpu->set_timestamp(s.last.timestamp_ns);
  cpu->mutable_usage_core_nano_seconds()->set_value(*s.last.group.cpu_usage_ns);
  if (s.usage_nano_cores) cpu->mutable_usage_nano_cores()->set_value(*s.usage_nano_cores);
}

// `with_available`: false for pods, whose totals are summed from their
// containers: one job's limit minus the sum means nothing, and containerd
// never sets AvailableBytes for Windows pods.
void SetMemory(const Snapshot& s, bool with_available, ::runtime::v1::WindowsMemoryUsage* mem) {
  const MemoryCounters& m = *s.last.group.memory;
  mem->set_timestamp(s.last.timestamp_ns);
  mem->mutable_working_set_bytes()->set_value(m.working_set_bytes);
  if (with_available && m.limit_bytes != 0) {
    mem->mutable_available_bytes()->set_value(m.limit_bytes > m.commit_bytes ? m.limit_bytes - m.commit_bytes : 0);
  }
  mem->mutable_page_faults()->set_value(m.page_faults);
  mem->mutable_commit_memory_bytes()->set_value(m.commit_bytes);
}

}  // namespace

GroupCounters FromJobObject(const JobAccounting& job, const std::vector<uint64_t>& private_working_sets) {
  GroupCounters g;
  g.cpu_usage_ns = (job.total_user_time_100ns + job.total_kernel_time_100ns) * 100;
  MemoryCounters m;
  for (uint64_t ws : private_working_sets) m.working_set_bytes += ws;
  m.commit_bytes = job.job_memory_bytes;
  m.usage_bytes = job.job_memory_bytes;
  m.page_faults = job.total_page_fault_count;
  m.limit_bytes = job.job_memory_limit_bytes;
  g.memory = m;
  g.process_count = job.active_processes;
  return g;
}

absl::StatusOr<GroupCounters> FromHcsStatistics(const nlohmann::json& statistics) {
  GroupCounters g;
  absl::StatusOr<uint64_t> runtime = Number(statistics, "Processor", "TotalRuntime100ns");
  if (!runtime.ok()) return runtime.status();
  g.cpu_usage_ns = *runtime * 100;
  MemoryCounters m;
  absl::StatusOr<uint64_t> commit = Number(statistics, "Memory", "MemoryUsageCommitBytes");
  if (!commit.ok()) return commit.status();
  absl::StatusOr<uint64_t> ws = Number(statistics, "Memory", "MemoryUsagePrivateWorkingSetBytes");
  if (!ws.ok()) return ws.status();
  m.commit_bytes = *commit;
  m.usage_bytes = *commit;
  m.working_set_bytes = *ws;
  g.memory = m;
  return g;
}

void ToCriWindowsContainerStats(const ContainerStatsView& view, ::runtime::v1::WindowsContainerStats* out) {
  SetAttributes(view.record, out->mutable_attributes());
  if (!view.stats) return;
  const Snapshot& s = *view.stats;
  if (s.last.group.cpu_usage_ns) SetCpu(s, out->mutable_cpu());
  if (s.last.group.memory) SetMemory(s, /*with_available=*/true, out->mutable_memory());
  if (s.writable_layer) {
    auto* fs = out->mutable_writable_layer();
    fs->set_timestamp(s.writable_layer->timestamp_ns);
    fs->mutable_fs_id()->set_mountpoint(s.writable_layer->mountpoint);
    fs->mutable_used_bytes()->set_value(s.writable_layer->used_bytes);
  }
}

void ToCriWindowsPodSandboxStats(const SandboxStatsView& view, ::runtime::v1::WindowsPodSandboxStats* out) {
  for (const auto& c : view.containers) ToCriWindowsContainerStats(c, out->add_containers());
  if (!view.stats) return;
  const Snapshot& s = *view.stats;
  if (s.last.group.cpu_usage_ns) SetCpu(s, out->mutable_cpu());
  if (s.last.group.memory) SetMemory(s, /*with_available=*/false, out->mutable_memory());
  if (s.last.group.process_count) {
    out->mutable_process()->set_timestamp(s.last.timestamp_ns);
    out->mutable_process()->mutable_process_count()->set_value(*s.last.group.process_count);
  }
  if (!s.last.interfaces.empty()) {
    auto* net = out->mutable_network();
    net->set_timestamp(s.last.timestamp_ns);
    for (const auto& i : s.last.interfaces) {
      auto* n = net->add_interfaces();
      n->set_name(i.name);
      n->mutable_rx_bytes()->set_value(i.rx_bytes);
      n->mutable_rx_packets_dropped()->set_value(i.rx_dropped);
      n->mutable_tx_bytes()->set_value(i.tx_bytes);
      n->mutable_tx_packets_dropped()->set_value(i.tx_dropped);
    }
    *net->mutable_default_interface() = net->interfaces(0);
  }
}

}  // namespace silo::runtime::windows
