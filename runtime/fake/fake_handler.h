#pragma once
// A handler type made of the in-memory fakes, for tests that run pods
// without root. RegisterFakeType adds it to a registry under any type name;
// FakeFor gives a test the parts of the handler the registry built.
//
// The parts of a handler name live in a FakeMachine when one is given: a
// handler built again for the same name (a new registry after a restart, or
// a retired handler after the name left the config) finds the same pods and
// containers, as a real host finds its cgroups and shims again.

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "runtime/fake/fake_container_host.h"
#include "runtime/fake/fake_process_streaming.h"
#include "runtime/fake/fake_sandbox_host.h"
#include "runtime/fake/fake_stats_source.h"
#include "runtime/handler/registry.h"

namespace silo::runtime::fake {

// The host state behind one handler name.
struct FakeParts {
  explicit FakeParts(const std::string& name) : sandboxes(name), containers(name), streaming(name) {}
  FakeSandboxHost sandboxes;
  FakeContainerHost containers;
  FakeProcessStreaming streaming;
  FakeStatsSource stats;
  silo::Mutex mu;
  absl::Status ready ABSL_GUARDED_BY(mu);
};

// Parts by handler name, shared by every handler built for that name.
class FakeMachine {
 public:
  std::shared_ptr<FakeParts> PartsFor(const std::string& name) {
    silo::MutexLock lock(&mu_);
    auto& parts = parts_[name];
    if (!parts) parts = std::make_shared<FakeParts>(name);
    return parts;
  }

 private:
  silo::Mutex mu_;
  std::map<std::string, std::shared_ptr<FakeParts>> parts_ ABSL_GUARDED_BY(mu_);
};

class FakeHandler final : public handler::RuntimeHandler {
 public:
  explicit FakeHandler(std::shared_ptr<FakeParts> parts) : parts_(std::move(parts)) {}

  FakeSandboxHost& Sandboxes() override { return parts_->sandboxes; }
  FakeContainerHost& Containers() override { return parts_->containers; }
  FakeProcessStreaming& Streaming() override { return parts_->streaming; }
  FakeStatsSource& Stats() override { return parts_->stats; }
  absl::Status Ready() const override {
    silo::MutexLock lock(&parts_->mu);
    return parts_->ready;
  }
  std::string Describe() const override { return "in-memory fake"; }
  void SetReady(absl::Status ready) {
    silo::MutexLock lock(&parts_->mu);
    parts_->ready = std::move(ready);
  }

 private:
  std::shared_ptr<FakeParts> parts_;
};

// Registers `type` as a fake handler type. With `machine` (which must
// outlive the registry) handlers of one name share their parts; without,
// every handler gets its own. `claims_pod` as in HandlerType.
void RegisterFakeType(handler::HandlerRegistry& registry, const std::string& type, FakeMachine* machine = nullptr,
                      std::function<bool(const ::runtime::v1::PodSandboxConfig&)> claims_pod = nullptr);

// The fake handler the registry has for a record naming (`name`, `type`).
// Aborts when that is not a fake handler: the test is wrong.
FakeHandler& FakeFor(const handler::HandlerRegistry& registry, const std::string& name, const std::string& type = "");

}  // namespace silo::runtime::fake
