#include "runtime/fake/fake_handler.h"

#include <cstdio>
#include <cstdlib>

namespace silo::runtime::fake {

void RegisterFakeType(handler::HandlerRegistry& registry, const std::string& type, FakeMachine* machine,
                      std::function<bool(const ::runtime::v1::PodSandboxConfig&)> claims_pod) {
  registry.AddType(
      {type,
       [machine](const handler::HandlerSpec& spec) -> absl::StatusOr<std::unique_ptr<handler::RuntimeHandler>> {
         std::shared_ptr<FakeParts> parts =
             machine != nullptr ? machine->PartsFor(spec.name) : std::make_shared<FakeParts>(spec.name);
         return std::make_unique<FakeHandler>(std::move(parts));
       },
       std::move(claims_pod)});
}

FakeHandler& FakeFor(const handler::HandlerRegistry& registry, const std::string& name, const std::string& type) {
  absl::StatusOr<handler::RuntimeHandler*> h = registry.For(name, type);
  auto* fake = h.ok() ? dynamic_cast<FakeHandler*>(*h) : nullptr;
  if (fake == nullptr) {
    std::fprintf(stderr, "FakeFor: handler \"%s\" is not a fake handler of this registry\n", name.c_str());
    std::abort();
  }
  return *fake;
}

}  // namespace silo::runtime::fake
