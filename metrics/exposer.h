#pragma once
// The HTTP endpoint Prometheus scrapes (/metrics). Loopback by default: the
// metrics reveal pod names, so exposing them is the operator's explicit choice.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "metrics/families.h"

namespace prometheus {
class Exposer;
}

namespace silo::metrics {

class MetricsServer {
 public:
  // Binds `address` (host:port, port 0 = any free port) and serves `metrics`.
  // FailedPrecondition if the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& address,
                                                              const Metrics& metrics);
  ~MetricsServer();

  int port() const { return port_; }

 private:
  MetricsServer() = default;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace silo::metrics
