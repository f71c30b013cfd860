#include "cri/daemon/daemon.h"

#include "runtime/base/durations.h"

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cri/daemon/front_door.h"
#include "cri/daemon/listener.h"
#include "cri/daemon/wiring.h"
#include "cri/grpc/adapters.h"
#include "cri/grpc/instrument.h"
#include "cri/server/service.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "metrics/exposer.h"
#include "metrics/families.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"
#include "runtime/base/version.h"
#include "spdlog/spdlog.h"
#include "yaml-cpp/yaml.h"

namespace silo::cri {
namespace {

// kubelet's own limit for CRI messages (large ListContainers on busy nodes).
constexpr int kMaxMessageBytes = 16 << 20;

nlohmann::json YamlToJson(const YAML::Node& n) {
  if (n.IsMap()) {
    nlohmann::json o = nlohmann::json::object();
    for (const auto& kv : n) o[kv.first.as<std::string>()] = YamlToJson(kv.second);
    return o;
  }
  if (n.IsSequence()) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& v : n) a.push_back(YamlToJson(v));
    return a;
  }
  if (n.IsScalar()) {
    const std::string& s = n.Scalar();
    if (n.Tag() != "!" && (s == "true" || s == "false")) return s == "true";
    if (n.Tag() != "!" && !s.empty() && s.find_first_not_of("0123456789") == std::string::npos &&
        s.size() < 16) {
      return std::stoll(s);
    }
    return s;
  }
  return nullptr;
}

}  // namespace

std::string BuildInfoJson() {
  nlohmann::json j = {{"version", silo::Version()},
                      {"commit", silo::GitCommit()},
                      {"compiler", __VERSION__},
                      {"grpc", grpc::Version()}};
  return j.dump();
}

std::string ConfigToJson(const Config& config) {
  return YamlToJson(YAML::Load(ConfigToYaml(config))).dump();
}

Daemon::Daemon(Config config, PlatformWiring wire_platform)
    : config_(std::move(config)), wire_platform_(std::move(wire_platform)) {}

Daemon::~Daemon() { Shutdown(); }

int Daemon::metrics_port() const { return metrics_server_ ? metrics_server_->port() : 0; }

absl::StatusOr<std::unique_ptr<Daemon>> Daemon::Start(const Config& config) { return Start(config, WirePlatform); }

absl::StatusOr<std::unique_ptr<Daemon>> Daemon::Start(const Config& config, PlatformWiring wire_platform) {
  std::unique_ptr<Daemon> d(new Daemon(config, std::move(wire_platform)));
  SILO_RETURN_IF_ERROR(d->Init());
  return d;
}

absl::Status Daemon::Init() {
  SILO_RETURN_IF_ERROR(PreparePrivateDirs(config_.root, config_.state, config_.log.file));
  SILO_RETURN_IF_ERROR(LockRootDir(config_.root));
  // Checked before anything binds, so a clash on the CRI socket is the error
  // the operator sees, not a side effect such as a busy metrics port.
  SILO_ASSIGN_OR_RETURN(front_door_, PrepareFrontDoor(config_.listen));

  metrics_ = std::make_unique<metrics::Metrics>();
  if (config_.metrics.enabled) {
    SILO_ASSIGN_OR_RETURN(metrics_server_, metrics::MetricsServer::Start(config_.metrics.address, *metrics_));
    spdlog::info("metrics on http://{}:{}/metrics",
                 config_.metrics.address.substr(0, config_.metrics.address.rfind(':')), metrics_server_->port());
  }

  pull_metrics_ = std::make_unique<PullMetrics>(metrics_.get());
  SetDurationSink(metrics_.get());  // before the backends start timing steps
  SILO_ASSIGN_OR_RETURN(PlatformParts platform, wire_platform_(config_));
  CoreOptions core;
  core.pull_observer = pull_metrics_.get();
  SILO_ASSIGN_OR_RETURN(Backends backends, WireCore(config_, std::move(platform), core));
  backends_ = std::make_unique<Backends>(std::move(backends));

  ServiceOptions options;
  options.runtime_version = silo::Version();
  options.cgroup_driver = backends_->cgroup_driver;
  options.config_json = ConfigToJson(config_);
  options.build_json = BuildInfoJson();
  ServiceDeps deps;
  deps.handlers = backends_->handlers.get();
  deps.network = backends_->network.get();
  deps.sandboxes = backends_->sandboxes.get();
  deps.images = backends_->images.get();
  deps.containers = backends_->containers.get();
  deps.events = backends_->events.get();
  deps.stats = backends_->stats.get();
  if (backends_->stats) {
    metrics::Metrics* m = metrics_.get();
    backends_->stats->SetTickObserver([m](const runtime::stats::TickSummary& tick) {
      for (auto s : {runtime::model::ContainerState::kCreated, runtime::model::ContainerState::kRunning,
                     runtime::model::ContainerState::kExited, runtime::model::ContainerState::kUnknown}) {
        auto it = tick.containers_by_state.find(s);
        m->SetObjectCount("container", runtime::model::ContainerStateName(s),
                          it == tick.containers_by_state.end() ? 0 : it->second);
      }
      for (auto s : {runtime::model::SandboxState::kCreating, runtime::model::SandboxState::kReady,
                     runtime::model::SandboxState::kNotReady, runtime::model::SandboxState::kUnknown}) {
        auto it = tick.sandboxes_by_state.find(s);
        m->SetObjectCount("pod_sandbox", runtime::model::SandboxStateName(s),
                          it == tick.sandboxes_by_state.end() ? 0 : it->second);
      }
      m->ObserveStatsTick(std::chrono::duration<double>(tick.duration).count());
      double shims = 0;
      for (auto s : {runtime::model::ContainerState::kCreated, runtime::model::ContainerState::kRunning}) {
        auto it = tick.containers_by_state.find(s);
        if (it != tick.containers_by_state.end()) shims += it->second;
      }
      m->SetShimsAlive(shims);
    });
    backends_->stats->Start();
  }
  deps.streaming = backends_->streaming_server.get();
  if (deps.streaming) spdlog::info("streaming (exec, attach, port-forward) on {}", deps.streaming->BaseUrl());
  service_ = std::make_unique<Service>(std::move(options), deps);
  instrument_ = std::make_unique<Instrument>(metrics_.get(), &ready_, front_door_->admitted());
  runtime_adapter_ = std::make_unique<RuntimeServiceAdapter>(service_.get(), instrument_.get());
  image_adapter_ = std::make_unique<ImageServiceAdapter>(service_.get(), instrument_.get());

  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.RegisterService(runtime_adapter_.get());
  builder.RegisterService(image_adapter_.get());
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  SILO_ASSIGN_OR_RETURN(server_, front_door_->Serve(builder));
  spdlog::info("silod {} serving CRI on {} (root {}, state {}, default handler \"{}\": {})", silo::Version(),
               config_.listen, config_.root, config_.state, backends_->handlers->DefaultSpec().name,
               backends_->handlers->Default().Describe());
  ready_.store(true, std::memory_order_release);
  return absl::OkStatus();
}

void Daemon::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  // Close the gate first: new calls get UNAVAILABLE (kubelet retries), calls
  // already running may finish for up to 5 s. Then stop gRPC at once: with a
  // deadline it would also wait for idle clients such as kubelet to hang up.
  ready_.store(false, std::memory_order_release);
  // Event streams never finish on their own: end them (UNAVAILABLE) now.
  if (backends_ && backends_->events) backends_->events->Close();
  // Exec and port-forward sessions end with the daemon (their sockets close).
  if (backends_ && backends_->streaming_server) backends_->streaming_server->Stop();
  // civetweb needs about a second to stop; let it do so meanwhile.
  std::thread metrics_stop([this] { metrics_server_.reset(); });
  if (server_) {
    if (instrument_ && !instrument_->WaitIdle(std::chrono::seconds(5))) {
      spdlog::warn("{} CRI calls still running at shutdown; cancelling them", instrument_->in_flight());
    }
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
    front_door_->Close();
    spdlog::debug("CRI server stopped");
  }
  metrics_stop.join();
  SetDurationSink(nullptr);
  spdlog::info("silod stopped");
}

}  // namespace silo::cri
