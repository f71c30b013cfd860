#pragma once
// HandlerRegistry: CRI runtime handler names -> RuntimeHandler instances.
//
// The platform's wiring adds the handler types it builds (Linux: "runc";
// Windows: "process", "hostprocess"), each a factory; Configure() then
// builds one handler per entry of the config's runtime.handlers[] and
// refuses a type this silod does not build, naming the ones it does.
//
// Routing is (requested name, pod flags) -> handler: an empty name means the
// default handler, and a type may claim pods by their flags whatever handler
// they name (kubelet sends Windows HostProcess pods to the default handler
// with windows.security_context.host_process set). Records keep the
// resolved name and type, and For() maps them back, also after the handler
// left the config: then an instance of the recorded type is built on first
// use, so the pod can still be stopped and removed.
//
// Thread safety: AddType and Configure before use; the rest is thread-safe.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "cri/api/cri_fwd.h"
#include "runtime/base/mutex.h"
#include "runtime/handler/handler.h"

namespace silo::runtime::handler {

struct HandlerSpec {
  std::string name;  // the CRI runtime_handler value
  std::string type;  // a registered type
  Features features;
  // Type "hypervisor": the utility VM's default memory and processors (0 = the type's default).
  uint64_t uvm_memory_mb = 0;
  uint32_t uvm_processors = 0;
};

using HandlerFactory = std::function<absl::StatusOr<std::unique_ptr<RuntimeHandler>>(const HandlerSpec&)>;

struct HandlerType {
  std::string name;
  HandlerFactory create;
  // Pods this type runs whichever handler they name; null = none.
  std::function<bool(const ::runtime::v1::PodSandboxConfig&)> claims_pod;
};

class HandlerRegistry {
 public:
  HandlerRegistry() = default;
  HandlerRegistry(const HandlerRegistry&) = delete;
  HandlerRegistry& operator=(const HandlerRegistry&) = delete;

  // Registers a type; a second registration of the same name replaces it.
  void AddType(HandlerType type);
  // The registered type names, sorted.
  std::vector<std::string> Types() const;

  // Builds every handler. InvalidArgument (naming the config path, e.g.
  // runtime.handlers[1].type) for an unregistered type, a duplicate name,
  // or a default that is not one of the handlers; a factory's error is
  // returned with the handler named.
  absl::Status Configure(const std::vector<HandlerSpec>& handlers, const std::string& default_handler);

  // RunPodSandbox's choice for `requested` ("" = default) and the pod's
  // flags. InvalidArgument naming the configured handlers when unknown.
  absl::StatusOr<HandlerSpec> Resolve(const std::string& requested,
                                      const ::runtime::v1::PodSandboxConfig& config) const;

  // The handler a record names. "" = the default handler (records written
  // before handlers were recorded). A name that left the config, or whose
  // type changed, gets an instance of the recorded `type` ("" = the
  // configured one); FailedPrecondition when that type is not built here.
  absl::StatusOr<RuntimeHandler*> For(const std::string& name, const std::string& type) const;

  // The handler and type a record stored before handlers were recorded runs
  // on (it kept only the requested name, "" for the default): the configured
  // spec of that name, else the only type this silod builds. NotFound when
  // neither tells (several types built, the name gone).
  absl::StatusOr<HandlerSpec> Adopt(const std::string& requested) const;

  const HandlerSpec& DefaultSpec() const { return specs_.at(default_index_); }
  RuntimeHandler& Default() const { return *handlers_.at(default_index_); }
  // The configured handlers in config order.
  const std::vector<HandlerSpec>& Specs() const { return specs_; }
  RuntimeHandler& At(size_t index) const { return *handlers_.at(index); }

 private:
  std::string QuotedNames() const;

  std::map<std::string, HandlerType> types_;
  std::vector<HandlerSpec> specs_;
  std::vector<std::unique_ptr<RuntimeHandler>> handlers_;
  size_t default_index_ = 0;

  mutable silo::Mutex retired_mu_;
  // name + "\n" + type -> an instance for records whose handler left the config.
  mutable std::map<std::string, std::unique_ptr<RuntimeHandler>> retired_ ABSL_GUARDED_BY(retired_mu_);
};

}  // namespace silo::runtime::handler
