#pragma once
// AssembledHandler: a RuntimeHandler made of parts it owns. Most handler
// types are exactly this (the runc handler, the fakes of unit tests); a
// type whose parts share state can own that state in a subclass.

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "runtime/container/container_host.h"
#include "runtime/handler/handler.h"
#include "runtime/sandbox/sandbox_host.h"
#include "runtime/stats/stats_source.h"
#include "runtime/streaming/process_streaming.h"

namespace silo::runtime::handler {

struct HandlerParts {
  std::unique_ptr<sandbox::SandboxHost> sandboxes;
  std::unique_ptr<container::ContainerHost> containers;
  std::unique_ptr<streaming::ProcessStreaming> streaming;
  std::unique_ptr<stats::StatsSource> stats;
  // Readiness (RuntimeReady); null = always ready.
  std::function<absl::Status()> ready;
  std::string description;
};

class AssembledHandler : public RuntimeHandler {
 public:
  explicit AssembledHandler(HandlerParts parts) : parts_(std::move(parts)) {}

  sandbox::SandboxHost& Sandboxes() override { return *parts_.sandboxes; }
  container::ContainerHost& Containers() override { return *parts_.containers; }
  streaming::ProcessStreaming& Streaming() override { return *parts_.streaming; }
  stats::StatsSource& Stats() override { return *parts_.stats; }
  absl::Status Ready() const override { return parts_.ready ? parts_.ready() : absl::OkStatus(); }
  std::string Describe() const override { return parts_.description; }

 private:
  HandlerParts parts_;
};

}  // namespace silo::runtime::handler
