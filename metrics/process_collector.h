#pragma once
// The standard process_* metrics (as the Go and Python clients export them),
// which prometheus-cpp does not provide: CPU seconds, resident and virtual
// memory, open and max file descriptors, start time, threads. Read fresh at
// every scrape. One implementation per platform (process_collector_linux.cc).

#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace silo::metrics {

class ProcessCollector final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace silo::metrics
