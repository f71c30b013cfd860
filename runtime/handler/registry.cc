#include "runtime/handler/registry.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cri/api/cri.h"

namespace silo::runtime::handler {

void HandlerRegistry::AddType(HandlerType type) {
  std::string name = type.name;
  types_[name] = std::move(type);
}

std::vector<std::string> HandlerRegistry::Types() const {
  std::vector<std::string> out;
  for (const auto& [name, type] : types_) out.push_back(name);
  return out;
}

std::string HandlerRegistry::QuotedNames() const {
  std::vector<std::string> quoted;
  for (const auto& s : specs_) quoted.push_back(absl::StrCat("\"", s.name, "\""));
  return absl::StrJoin(quoted, ", ");
}

absl::Status HandlerRegistry::Configure(const std::vector<HandlerSpec>& handlers, const std::string& default_handler) {
  if (handlers.empty()) return absl::InvalidArgumentError("runtime.handlers: must list at least one handler");
  std::vector<HandlerSpec> specs;
  std::vector<std::unique_ptr<RuntimeHandler>> built;
  std::set<std::string> names;
  size_t default_index = handlers.size();
  for (size_t i = 0; i < handlers.size(); ++i) {
    const HandlerSpec& spec = handlers[i];
    const std::string path = absl::StrCat("runtime.handlers[", i, "]");
    auto type = types_.find(spec.type);
    if (type == types_.end()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ".type: \"", spec.type,
                                                     "\" is not a handler type this silod builds (types: ",
                                                     absl::StrJoin(Types(), ", "), ")"));
    }
    if (!names.insert(spec.name).second) {
      return absl::InvalidArgumentError(absl::StrCat(path, ".name: duplicate handler \"", spec.name, "\""));
    }
    if (spec.name == default_handler) default_index = i;
    absl::StatusOr<std::unique_ptr<RuntimeHandler>> handler = type->second.create(spec);
    if (!handler.ok()) {
      return absl::Status(handler.status().code(), absl::StrCat(path, " (handler \"", spec.name, "\", type ",
                                                                spec.type, "): ", handler.status().message()));
    }
    specs.push_back(spec);
    built.push_back(std::move(*handler));
  }
  if (default_index == handlers.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("runtime.default_handler: \"", default_handler, "\" is not one of runtime.handlers"));
  }
  specs_ = std::move(specs);
  handlers_ = std::move(built);
  default_index_ = default_index;
  return absl::OkStatus();
}

absl::StatusOr<HandlerSpec> HandlerRegistry::Resolve(const std::string& requested,
                                                     const ::runtime::v1::PodSandboxConfig& config) const {
  const HandlerSpec* base = nullptr;
  if (requested.empty()) {
    base = &DefaultSpec();
  } else {
    for (const auto& s : specs_) {
      if (s.name == requested) base = &s;
    }
  }
  if (base == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("runtime handler \"", requested,
                                                   "\" is not configured (configured: ", QuotedNames(), ")"));
  }
  for (const auto& [name, type] : types_) {
    if (!type.claims_pod || !type.claims_pod(config) || base->type == name) continue;
    for (const auto& s : specs_) {
      if (s.type == name) return s;
    }
    return absl::InvalidArgumentError(absl::StrCat("this pod needs a runtime handler of type \"", name,
                                                   "\" and none is configured (configured: ", QuotedNames(), ")"));
  }
  return *base;
}

absl::StatusOr<HandlerSpec> HandlerRegistry::Adopt(const std::string& requested) const {
  if (requested.empty()) return DefaultSpec();
  for (const auto& s : specs_) {
    if (s.name == requested) return s;
  }
  if (types_.size() == 1) return HandlerSpec{requested, types_.begin()->first, {}};
  return absl::NotFoundError(absl::StrCat("runtime handler \"", requested,
                                          "\" is not configured and its type was never recorded"));
}

absl::StatusOr<RuntimeHandler*> HandlerRegistry::For(const std::string& name, const std::string& type) const {
  const std::string& wanted = name.empty() ? DefaultSpec().name : name;
  for (size_t i = 0; i < specs_.size(); ++i) {
    if (specs_[i].name == wanted && (type.empty() || specs_[i].type == type)) return handlers_[i].get();
  }
  // The handler left the config (or changed type) while records still name it.
  std::string retired_type = type;
  if (retired_type.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("runtime handler \"", wanted,
                                                      "\" is no longer configured and its type is not recorded"));
  }
  auto registered = types_.find(retired_type);
  if (registered == types_.end()) {
    return absl::FailedPreconditionError(absl::StrCat("runtime handler \"", wanted, "\" has type \"", retired_type,
                                                      "\", which this silod does not build"));
  }
  silo::MutexLock lock(&retired_mu_);
  auto& slot = retired_[absl::StrCat(wanted, "\n", retired_type)];
  if (!slot) {
    absl::StatusOr<std::unique_ptr<RuntimeHandler>> made = registered->second.create({wanted, retired_type, {}});
    if (!made.ok()) return made.status();
    slot = std::move(*made);
  }
  return slot.get();
}

}  // namespace silo::runtime::handler
