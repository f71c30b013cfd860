#pragma once
// PullObserver: what an image pull reports to monitoring. The image module
// knows nothing of Prometheus; silod's wiring adapts this to its metrics.
//
// Calls come from pull threads, concurrently for different pulls:
// implementations must be thread-safe and must not block.

#include <cstdint>

#include "absl/status/status.h"

namespace silo::image {

// One finished pull operation (callers sharing a pull count once).
struct PullSummary {
  absl::StatusCode code = absl::StatusCode::kOk;
  double seconds = 0;           // wall time of the whole pull
  int layers = 0;               // layers in the image
  int layers_fetched = 0;       // layers downloaded and unpacked by this pull
  double download_seconds = 0;  // summed over layers (they overlap when parallel)
  double unpack_seconds = 0;    // summed over layers
};

class PullObserver {
 public:
  virtual ~PullObserver() = default;
  virtual void PullStarted() = 0;
  virtual void PullFinished(const PullSummary& summary) = 0;
  // Registry body bytes received since the previous call (all pulls).
  virtual void BytesReceived(int64_t bytes) = 0;
};

}  // namespace silo::image
