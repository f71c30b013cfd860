#pragma once
// Maps the sampler's cached views (runtime/stats) to CRI stats messages and
// to the cAdvisor-named metrics of ListPodSandboxMetrics.
//
// Metric values are CRI UInt64Values: counters in seconds would lose all
// precision, so container_cpu_usage_seconds_total carries nanoseconds (the
// descriptor's help says so); byte and count metrics are exact.

#include <vector>

#include "cri/api/cri.h"
#include "runtime/stats/stats_sampler.h"

namespace silo::cri {

void ToCriContainerStats(const runtime::stats::ContainerStatsView& view, ::runtime::v1::ContainerStats* out);
void ToCriPodSandboxStats(const runtime::stats::SandboxStatsView& view, ::runtime::v1::PodSandboxStats* out);

// Every metric ListPodSandboxMetrics can return, with its label keys.
std::vector<::runtime::v1::MetricDescriptor> StatsMetricDescriptors();
void ToCriPodSandboxMetrics(const runtime::stats::SandboxStatsView& view, ::runtime::v1::PodSandboxMetrics* out);

}  // namespace silo::cri
