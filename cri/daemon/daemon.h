#pragma once
// silod's lifetime: start every part in order (dirs, root lock, metrics,
// backends, CRI server), serve, and shut down cleanly on request.

#include <atomic>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "cri/daemon/config.h"
#include "cri/daemon/pull_metrics.h"

namespace grpc {
class Server;
}

namespace silo::metrics {
class Metrics;
class MetricsServer;
}  // namespace silo::metrics

namespace silo::cri {

class CriService;
class FrontDoor;
class Instrument;
class RuntimeServiceAdapter;
class ImageServiceAdapter;
struct Backends;
struct PlatformParts;

// Builds the platform's parts from the config (wiring.h's WirePlatform).
using PlatformWiring = std::function<absl::StatusOr<PlatformParts>(const Config& config)>;

class Daemon {
 public:
  static absl::StatusOr<std::unique_ptr<Daemon>> Start(const Config& config);
  // Over other platform parts than this build's (tests: the Windows
  // handlers over the fake API tables, on Linux).
  static absl::StatusOr<std::unique_ptr<Daemon>> Start(const Config& config, PlatformWiring wire_platform);
  ~Daemon();

  // Stops accepting calls, lets in-flight ones finish (bounded) and removes
  // the socket. Idempotent.
  void Shutdown();

  int metrics_port() const;

 private:
  Daemon(Config config, PlatformWiring wire_platform);
  absl::Status Init();

  Config config_;
  PlatformWiring wire_platform_;
  std::atomic<bool> ready_{false};
  std::unique_ptr<FrontDoor> front_door_;  // closed after server_ stopped
  std::unique_ptr<metrics::Metrics> metrics_;
  std::unique_ptr<PullMetrics> pull_metrics_;  // feeds metrics_; outlives the backends
  std::unique_ptr<metrics::MetricsServer> metrics_server_;
  std::unique_ptr<Backends> backends_;
  std::unique_ptr<CriService> service_;
  std::unique_ptr<Instrument> instrument_;
  std::unique_ptr<RuntimeServiceAdapter> runtime_adapter_;
  std::unique_ptr<ImageServiceAdapter> image_adapter_;
  std::unique_ptr<grpc::Server> server_;
  bool shut_down_ = false;
};

// Build details as a JSON object (version, commit, compiler, gRPC version).
std::string BuildInfoJson();

// The effective config as a JSON object, for Status(verbose).
std::string ConfigToJson(const Config& config);

}  // namespace silo::cri
