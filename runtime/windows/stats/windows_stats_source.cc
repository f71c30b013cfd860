#include "runtime/windows/stats/windows_stats_source.h"

#include "absl/strings/str_cat.h"
#include "cri/api/cri.h"
#include "network/hns/endpoint_stats.h"
#include "network/hns/errors.h"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/host_process.h"
#include "runtime/windows/jobobject/open_job.h"
#include "spdlog/spdlog.h"

namespace silo::runtime::windows {
namespace {

using silo::win32::Utf8ToWide;
using silo::win32::WideToUtf8;

std::string SiloJob(const std::string& container_id) {
  return WideToUtf8(runtime::windows::jobobject::SiloJobName(Utf8ToWide(container_id)));
}

// HostProcess pods: kubelet sends them to the default handler with the flag
// set, so the recorded handler type alone may not say it; the config does.
bool IsHostProcessPod(const model::SandboxRecord& sandbox) {
  if (sandbox.handler_type == "hostprocess") return true;
  if (sandbox.config.empty()) return false;
  absl::StatusOr<::runtime::v1::PodSandboxConfig> config = sandbox.Config();
  return config.ok() && config->windows().security_context().host_process();
}

}  // namespace

std::string WindowsStatsSource::ContainerGroup(const model::SandboxRecord& sandbox,
                                               const std::string& container_id) const {
  if (IsHostProcessPod(sandbox)) return HostProcessJobName(container_id);
  return SiloJob(container_id);
}

std::string WindowsStatsSource::SandboxGroup(const model::SandboxRecord& sandbox) const {
  auto it = sandbox.platform_data.find(kPauseSystemIdKey);
  if (it == sandbox.platform_data.end() || !it->is_string() || it->get<std::string>().empty()) return "";
  return SiloJob(it->get<std::string>());
}

absl::StatusOr<GroupCounters> WindowsStatsSource::ReadGroup(const std::string& group) {
  if (!options_.read_job) return absl::FailedPreconditionError("Windows stats: no job object reader is wired");
  return options_.read_job(group);
}

absl::StatusOr<std::vector<InterfaceCounters>> WindowsStatsSource::ReadNetwork(const std::string& netns) {
  if (options_.hcn == nullptr) return absl::FailedPreconditionError("Windows stats: no HCN table is wired");
  network::hns::Result<network::hns::NamespaceEndpointStats> stats =
      network::hns::GetNamespaceEndpointStats(*options_.hcn, netns);
  if (!stats.ok()) {
    const std::string message = absl::StrCat("HCN namespace ", netns, ": ", stats.status().ToString());
    if (network::hns::errors::IsNotFound(stats.status().hr())) return absl::NotFoundError(message);
    return absl::UnavailableError(message);
  }
  for (const auto& skipped : stats->skipped) {
    spdlog::debug("network stats of namespace {}: {}", netns, skipped.ToString());
  }
  std::vector<InterfaceCounters> out;
  out.reserve(stats->endpoints.size());
  for (const network::hns::EndpointStats& ep : stats->endpoints) {
    InterfaceCounters c;
    c.name = ep.endpoint_id;
    c.rx_bytes = ep.bytes_received;
    c.tx_bytes = ep.bytes_sent;
    c.rx_dropped = ep.dropped_packets_incoming;
    c.tx_dropped = ep.dropped_packets_outgoing;
    out.push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<FsUsage> WindowsStatsSource::ReadWritableLayer(const std::string& container_id) {
  if (!options_.read_writable_layer) {
    return absl::UnimplementedError(absl::StrCat("writable layer usage of container ", container_id,
                                                 ": no layer reader is wired"));
  }
  return options_.read_writable_layer(container_id);
}

}  // namespace silo::runtime::windows
