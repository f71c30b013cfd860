#include "metrics/exposer.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "prometheus/exposer.h"

namespace silo::metrics {

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& address,
                                                                    const Metrics& metrics) {
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  try {
    // civetweb takes host:port; one worker thread is plenty for scrapes.
    server->exposer_ = std::make_unique<prometheus::Exposer>(address, 1);
  } catch (const std::exception& e) {
    return absl::FailedPreconditionError(
        absl::StrCat("metrics: cannot listen on ", address, ": ", e.what()));
  }
  for (const auto& c : metrics.Collectables()) server->exposer_->RegisterCollectable(c);
  auto ports = server->exposer_->GetListeningPorts();
  server->port_ = ports.empty() ? 0 : ports.front();
  return server;
}

MetricsServer::~MetricsServer() = default;

}  // namespace silo::metrics
