#pragma once
// One single-sample family of the process_* metrics, shared by each
// platform's ProcessCollector.

#include "prometheus/metric_family.h"

namespace silo::metrics {

prometheus::MetricFamily ProcessFamily(const char* name, const char* help, double value,
                                       prometheus::MetricType type = prometheus::MetricType::Gauge);

}  // namespace silo::metrics
