#include "cri/server/stats_convert.h"

#include <string>

#include "cri/server/sandbox_convert.h"
#include "runtime/windows/stats/windows_stats.h"

namespace silo::cri {
namespace {

using runtime::stats::Snapshot;

void SetCpu(const Snapshot& s, ::runtime::v1::CpuUsage* cpu) {
  cpu->set_timestamp(s.last.timestamp_ns);
  cpu->mutable_usage_core_nano_seconds()->set_value(*s.last.group.cpu_usage_ns);
  if (s.usage_nano_cores) cpu->mutable_usage_nano_cores()->set_value(*s.usage_nano_cores);
}

void SetMemory(const Snapshot& s, ::runtime::v1::MemoryUsage* mem) {
  const runtime::stats::MemoryCounters& m = *s.last.group.memory;
  mem->set_timestamp(s.last.timestamp_ns);
  mem->mutable_working_set_bytes()->set_value(m.working_set_bytes);
  if (m.limit_bytes != 0) {
    mem->mutable_available_bytes()->set_value(m.limit_bytes > m.working_set_bytes ? m.limit_bytes - m.working_set_bytes
                                                                                  : 0);
  }
  mem->mutable_usage_bytes()->set_value(m.usage_bytes);
  mem->mutable_rss_bytes()->set_value(m.rss_bytes);
  mem->mutable_page_faults()->set_value(m.page_faults);
  mem->mutable_major_page_faults()->set_value(m.major_page_faults);
}

void SetInterface(const runtime::stats::InterfaceCounters& c, ::runtime::v1::NetworkInterfaceUsage* out) {
  out->set_name(c.name);
  out->mutable_rx_bytes()->set_value(c.rx_bytes);
  out->mutable_rx_errors()->set_value(c.rx_errors);
  out->mutable_tx_bytes()->set_value(c.tx_bytes);
  out->mutable_tx_errors()->set_value(c.tx_errors);
}

// kubelet reads the pod's traffic from the default interface; CNI names
// the pod's interface eth0.
const runtime::stats::InterfaceCounters* DefaultInterface(const std::vector<runtime::stats::InterfaceCounters>& all) {
  for (const auto& i : all) {
    if (i.name == "eth0") return &i;
  }
  return all.empty() ? nullptr : &all.front();
}

enum class Kind { kCounter, kGauge };

struct Descriptor {
  const char* name;
  const char* help;
  Kind kind;
  bool network;  // adds the "interface" label
};

// cAdvisor names, as kubelet's CRI metrics path expects them.
constexpr Descriptor kCpu = {"container_cpu_usage_seconds_total",
                             "Cumulative cpu time consumed, in nanoseconds (CRI values are integers).",
                             Kind::kCounter, false};
constexpr Descriptor kMemUsage = {"container_memory_usage_bytes",
                                  "Current memory usage in bytes, including all memory regardless of when it was "
                                  "accessed.",
                                  Kind::kGauge, false};
constexpr Descriptor kWorkingSet = {"container_memory_working_set_bytes", "Current working set in bytes.",
                                    Kind::kGauge, false};
constexpr Descriptor kRss = {"container_memory_rss", "Size of RSS in bytes.", Kind::kGauge, false};
constexpr Descriptor kOom = {"container_oom_events_total", "Count of out of memory events observed for the container.",
                             Kind::kCounter, false};
constexpr Descriptor kProcesses = {"container_processes", "Number of processes running inside the container.",
                                   Kind::kGauge, false};
constexpr Descriptor kFsUsage = {"container_fs_usage_bytes",
                                 "Number of bytes that are consumed by the container's writable layer.", Kind::kGauge,
                                 false};
constexpr Descriptor kFsInodes = {"container_fs_inodes_total", "Number of inodes used by the container's writable layer.",
                                  Kind::kGauge, false};
constexpr Descriptor kRxBytes = {"container_network_receive_bytes_total", "Cumulative count of bytes received.",
                                 Kind::kCounter, true};
constexpr Descriptor kRxErrors = {"container_network_receive_errors_total",
                                  "Cumulative count of errors encountered while receiving.", Kind::kCounter, true};
constexpr Descriptor kRxDropped = {"container_network_receive_packets_dropped_total",
                                   "Cumulative count of packets dropped while receiving.", Kind::kCounter, true};
constexpr Descriptor kTxBytes = {"container_network_transmit_bytes_total", "Cumulative count of bytes transmitted.",
                                 Kind::kCounter, true};
constexpr Descriptor kTxErrors = {"container_network_transmit_errors_total",
                                  "Cumulative count of errors encountered while transmitting.", Kind::kCounter, true};
constexpr Descriptor kTxDropped = {"container_network_transmit_packets_dropped_total",
                                   "Cumulative count of packets dropped while transmitting.", Kind::kCounter, true};

constexpr const Descriptor* kAll[] = {&kCpu,      &kMemUsage, &kWorkingSet, &kRss,      &kOom,
                                      &kProcesses, &kFsUsage, &kFsInodes,   &kRxBytes,  &kRxErrors, &kRxDropped,
                                      &kTxBytes,  &kTxErrors, &kTxDropped};

// Label keys: the object's id, its name and its image (empty for a pod).
constexpr const char* kBaseLabels[] = {"id", "name", "image"};

class MetricWriter {
 public:
  MetricWriter(int64_t timestamp, std::string id, std::string name, std::string image,
               google::protobuf::RepeatedPtrField<::runtime::v1::Metric>* out)
      : timestamp_(timestamp), id_(std::move(id)), name_(std::move(name)), image_(std::move(image)), out_(out) {}

  void Add(const Descriptor& d, uint64_t value, const std::string& interface = "") {
    ::runtime::v1::Metric* m = out_->Add();
    m->set_name(d.name);
    m->set_timestamp(timestamp_);
    m->set_metric_type(d.kind == Kind::kCounter ? ::runtime::v1::COUNTER : ::runtime::v1::GAUGE);
    m->add_label_values(id_);
    m->add_label_values(name_);
    m->add_label_values(image_);
    if (d.network) m->add_label_values(interface);
    m->mutable_value()->set_value(value);
  }

  void AddGroup(const runtime::stats::GroupCounters& g) {
    if (g.cpu_usage_ns) Add(kCpu, *g.cpu_usage_ns);
    if (g.memory) {
      Add(kMemUsage, g.memory->usage_bytes);
      Add(kWorkingSet, g.memory->working_set_bytes);
      Add(kRss, g.memory->rss_bytes);
      Add(kOom, g.memory->oom_events);
    }
    if (g.process_count) Add(kProcesses, *g.process_count);
  }

 private:
  int64_t timestamp_;
  std::string id_, name_, image_;
  google::protobuf::RepeatedPtrField<::runtime::v1::Metric>* out_;
};

}  // namespace

void ToCriContainerStats(const runtime::stats::ContainerStatsView& view, ::runtime::v1::ContainerStats* out) {
  const auto& r = view.record;
  auto* a = out->mutable_attributes();
  a->set_id(r.id);
  a->mutable_metadata()->set_name(r.metadata.name);
  a->mutable_metadata()->set_attempt(r.metadata.attempt);
  a->mutable_labels()->insert(r.labels.begin(), r.labels.end());
  a->mutable_annotations()->insert(r.annotations.begin(), r.annotations.end());
  if (!view.stats) return;
  const Snapshot& s = *view.stats;
  if (s.last.group.cpu_usage_ns) SetCpu(s, out->mutable_cpu());
  if (s.last.group.memory) SetMemory(s, out->mutable_memory());
  if (s.writable_layer) {
    auto* fs = out->mutable_writable_layer();
    fs->set_timestamp(s.writable_layer->timestamp_ns);
    fs->mutable_fs_id()->set_mountpoint(s.writable_layer->mountpoint);
    fs->mutable_used_bytes()->set_value(s.writable_layer->used_bytes);
    fs->mutable_inodes_used()->set_value(s.writable_layer->inodes_used);
  }
}

namespace {

void SetAttributes(const runtime::model::SandboxRecord& r, ::runtime::v1::PodSandboxStats* out) {
  auto* a = out->mutable_attributes();
  a->set_id(r.id);
  ToCriMetadata(r, a->mutable_metadata());
  a->mutable_labels()->insert(r.labels.begin(), r.labels.end());
  a->mutable_annotations()->insert(r.annotations.begin(), r.annotations.end());
}

void ToLinuxPodStats(const runtime::stats::SandboxStatsView& view, ::runtime::v1::LinuxPodSandboxStats* linux) {
  for (const auto& c : view.containers) ToCriContainerStats(c, linux->add_containers());
  if (!view.stats) return;
  const Snapshot& s = *view.stats;
  if (s.last.group.cpu_usage_ns) SetCpu(s, linux->mutable_cpu());
  if (s.last.group.memory) SetMemory(s, linux->mutable_memory());
  if (s.last.group.process_count) {
    linux->mutable_process()->set_timestamp(s.last.timestamp_ns);
    linux->mutable_process()->mutable_process_count()->set_value(*s.last.group.process_count);
  }
  if (!s.last.interfaces.empty()) {
    auto* net = linux->mutable_network();
    net->set_timestamp(s.last.timestamp_ns);
    if (const auto* d = DefaultInterface(s.last.interfaces)) SetInterface(*d, net->mutable_default_interface());
    for (const auto& i : s.last.interfaces) SetInterface(i, net->add_interfaces());
  }
}

}  // namespace

void ToCriPodSandboxStats(const runtime::stats::SandboxStatsView& view, ::runtime::v1::PodSandboxStats* out) {
  SetAttributes(view.record, out);
  if (view.format == runtime::stats::StatsFormat::kWindows) {
    runtime::windows::ToCriWindowsPodSandboxStats(view, out->mutable_windows());
  } else {
    ToLinuxPodStats(view, out->mutable_linux());
  }
}

std::vector<::runtime::v1::MetricDescriptor> StatsMetricDescriptors() {
  std::vector<::runtime::v1::MetricDescriptor> out;
  for (const Descriptor* d : kAll) {
    ::runtime::v1::MetricDescriptor m;
    m.set_name(d->name);
    m.set_help(d->help);
    for (const char* k : kBaseLabels) m.add_label_keys(k);
    if (d->network) m.add_label_keys("interface");
    out.push_back(std::move(m));
  }
  return out;
}

void ToCriPodSandboxMetrics(const runtime::stats::SandboxStatsView& view, ::runtime::v1::PodSandboxMetrics* out) {
  out->set_pod_sandbox_id(view.record.id);
  if (view.stats) {
    const Snapshot& s = *view.stats;
    MetricWriter pod(s.last.timestamp_ns, view.record.id, view.record.metadata.name, "", out->mutable_metrics());
    pod.AddGroup(s.last.group);
    for (const auto& i : s.last.interfaces) {
      pod.Add(kRxBytes, i.rx_bytes, i.name);
      pod.Add(kRxErrors, i.rx_errors, i.name);
      pod.Add(kRxDropped, i.rx_dropped, i.name);
      pod.Add(kTxBytes, i.tx_bytes, i.name);
      pod.Add(kTxErrors, i.tx_errors, i.name);
      pod.Add(kTxDropped, i.tx_dropped, i.name);
    }
  }
  for (const auto& c : view.containers) {
    auto* cm = out->add_container_metrics();
    cm->set_container_id(c.record.id);
    if (!c.stats) continue;
    MetricWriter w(c.stats->last.timestamp_ns, c.record.id, c.record.metadata.name, c.record.image_ref,
                   cm->mutable_metrics());
    w.AddGroup(c.stats->last.group);
    if (c.stats->writable_layer) {
      w.Add(kFsUsage, c.stats->writable_layer->used_bytes);
      w.Add(kFsInodes, c.stats->writable_layer->inodes_used);
    }
  }
}

}  // namespace silo::cri
