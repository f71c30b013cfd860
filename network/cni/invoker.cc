#include "network/cni/invoker.h"

#include "runtime/base/durations.h"

#include <errno.h>
#include <stdio.h>

#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "runtime/base/failpoint.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"

namespace silo::network::cni {
namespace {

using nlohmann::json;

// Cache file names are built from these, so they must not be able to name
// another file: the spec's character sets for container ids and network names,
// and for ifname Linux's rules (no '/', ':', whitespace; at most 15 chars).
bool SafeName(const std::string& s) {
  if (s.empty() || s == "." || s == "..") return false;
  for (char c : s) {
    if (!(absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-')) return false;
  }
  return true;
}

bool SafeIfname(const std::string& s) {
  if (s.empty() || s.size() > 15 || s == "." || s == "..") return false;
  for (char c : s) {
    if (c == '/' || c == ':' || absl::ascii_isspace(c) || c == '\0') return false;
  }
  return true;
}

absl::Status ValidateNames(const std::string& network, const RuntimeConf& rt) {
  if (!SafeName(network)) return absl::InvalidArgumentError(absl::StrCat("invalid CNI network name \"", network, "\""));
  if (!SafeName(rt.container_id)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid CNI container id \"", rt.container_id, "\""));
  }
  if (!SafeIfname(rt.ifname)) return absl::InvalidArgumentError(absl::StrCat("invalid interface name \"", rt.ifname, "\""));
  return absl::OkStatus();
}

bool VersionHasCheck(const std::string& v) {
  return !(v.empty() || absl::StartsWith(v, "0.1.") || absl::StartsWith(v, "0.2.") || absl::StartsWith(v, "0.3."));
}

std::string Where(const NetworkConfigList& net, const RuntimeConf& rt) {
  return absl::StrCat("network \"", net.name, "\" container ", rt.container_id, " ifname ", rt.ifname);
}

}  // namespace

json Invoker::BuildPluginConfig(const NetworkConfigList& net, const json& plugin, const json* prev_result,
                                const RuntimeConf& rt) {
  json conf = plugin;
  conf["name"] = net.name;
  conf["cniVersion"] = net.cni_version;
  if (prev_result != nullptr && !prev_result->is_null()) {
    conf["prevResult"] = *prev_result;
  } else {
    conf.erase("prevResult");
  }
  json runtime_config = json::object();
  if (plugin.contains("capabilities") && plugin["capabilities"].is_object() && rt.capability_args.is_object()) {
    for (const auto& [cap, enabled] : plugin["capabilities"].items()) {
      if (enabled.is_boolean() && enabled.get<bool>() && rt.capability_args.contains(cap)) {
        runtime_config[cap] = rt.capability_args[cap];
      }
    }
  }
  // Like libcni: runtimeConfig carries only what the runtime supplies for
  // declared capabilities, replacing anything written in the file.
  if (!runtime_config.empty()) {
    conf["runtimeConfig"] = runtime_config;
  } else {
    conf.erase("runtimeConfig");
  }
  return conf;
}

absl::StatusOr<std::string> Invoker::FindPlugin(const std::string& type) const {
  if (find_plugin_) return find_plugin_(options_.bin_dirs, type);
  return FindPluginBinary(options_.bin_dirs, type);
}

absl::StatusOr<std::string> Invoker::RunPlugin(const NetworkConfigList& net, const json& plugin,
                                               const std::string& command, const json* prev_result,
                                               const RuntimeConf& rt) const {
  std::string type = plugin.value("type", std::string());
  SILO_ASSIGN_OR_RETURN(std::string path, FindPlugin(type));
  PluginCall call;
  call.plugin_name = type;
  call.plugin_path = path;
  call.command = command;
  call.container_id = rt.container_id;
  call.netns = rt.netns;
  call.ifname = rt.ifname;
  call.args = rt.args;
  call.cni_path = options_.bin_dirs;
  call.stdin_data = BuildPluginConfig(net, plugin, prev_result, rt).dump();
  call.timeout = options_.plugin_timeout;
  return InvokePlugin(*exec_, call);
}

absl::StatusOr<std::string> Invoker::CachePath(const std::string& network, const RuntimeConf& rt) const {
  SILO_RETURN_IF_ERROR(ValidateNames(network, rt));
  return absl::StrCat(options_.cache_dir, "/results/", network, "-", rt.container_id, "-", rt.ifname);
}

absl::StatusOr<Result> Invoker::CachedResult(const std::string& network, const RuntimeConf& rt) const {
  SILO_ASSIGN_OR_RETURN(std::string path, CachePath(network, rt));
  SILO_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("result")) {
    return absl::DataLossError(absl::StrCat("CNI result cache ", path, " is corrupt"));
  }
  absl::StatusOr<Result> result = ParseResult(doc["result"]);
  if (!result.ok()) {
    return absl::DataLossError(absl::StrCat("CNI result cache ", path, ": ", result.status().message()));
  }
  return result;
}

absl::StatusOr<NetworkConfigList> Invoker::CachedConfig(const RuntimeConf& rt) const {
  SILO_RETURN_IF_ERROR(ValidateNames("any", rt));
  const std::string dir = options_.cache_dir + "/results";
  const std::string suffix = absl::StrCat("-", rt.container_id, "-", rt.ifname);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= suffix.size() || !absl::EndsWith(name, suffix)) continue;
    SILO_ASSIGN_OR_RETURN(std::string text, ReadFile(entry.path().string()));
    json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("config") || !doc["config"].is_object()) {
      return absl::DataLossError(absl::StrCat("CNI result cache ", entry.path().string(), " has no config"));
    }
    // The cached config is always the list form handed to the plugins.
    return ParseNetworkConfig(entry.path().string() + ".conflist", doc["config"].dump());
  }
  return absl::NotFoundError(absl::StrCat("no cached CNI ADD for ", rt.container_id, "/", rt.ifname, " in ", dir));
}

absl::StatusOr<Result> Invoker::AddUntimed(const NetworkConfigList& net, const RuntimeConf& rt) {
  SILO_FAILPOINT("cni.add");
  SILO_ASSIGN_OR_RETURN(std::string cache_path, CachePath(net.name, rt));
  json prev;  // null until the first plugin answers
  for (const auto& plugin : net.plugins) {
    SILO_ASSIGN_OR_RETURN(std::string out, RunPlugin(net, plugin, "ADD", &prev, rt));
    json doc = json::parse(out, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) {
      return absl::InternalError(absl::StrCat("CNI plugin \"", plugin.value("type", ""), "\" ADD (", Where(net, rt),
                                              ") printed no JSON result"));
    }
    prev = std::move(doc);
  }
  absl::StatusOr<Result> result = ParseResult(prev);
  if (!result.ok()) return Annotate(result.status(), absl::StrCat("ADD ", Where(net, rt)));

  json entry = {{"kind", "cniCacheV1"},
                {"containerId", rt.container_id},
                {"ifName", rt.ifname},
                {"networkName", net.name},
                {"netns", rt.netns},
                {"cniArgs", rt.args},
                {"capabilityArgs", rt.capability_args},
                {"config", net.raw},
                {"result", prev}};
  SILO_RETURN_IF_ERROR(MakeDirs(options_.cache_dir + "/results", 0700));
  SILO_RETURN_IF_ERROR(Annotate(AtomicWriteFile(cache_path, entry.dump(), 0600), "cache CNI result"));
  return result;
}

absl::Status Invoker::CheckUntimed(const NetworkConfigList& net, const RuntimeConf& rt) {
  if (!VersionHasCheck(net.cni_version)) {
    return absl::FailedPreconditionError(
        absl::StrCat("CNI CHECK needs cniVersion 0.4.0 or later; network \"", net.name, "\" has \"", net.cni_version, "\""));
  }
  absl::StatusOr<Result> cached = CachedResult(net.name, rt);
  if (!cached.ok()) {
    if (absl::IsNotFound(cached.status())) {
      return absl::NotFoundError(absl::StrCat("CHECK ", Where(net, rt), ": no cached ADD result"));
    }
    return cached.status();
  }
  for (const auto& plugin : net.plugins) {
    SILO_RETURN_IF_ERROR(RunPlugin(net, plugin, "CHECK", &cached->raw, rt).status());
  }
  return absl::OkStatus();
}

absl::Status Invoker::DelUntimed(const NetworkConfigList& net, const RuntimeConf& rt) {
  SILO_FAILPOINT("cni.del");
  SILO_ASSIGN_OR_RETURN(std::string cache_path, CachePath(net.name, rt));
  // No entry, or a corrupt one, must not block teardown: DEL then runs
  // without prevResult, which plugins accept.
  json prev;
  absl::StatusOr<Result> cached = CachedResult(net.name, rt);
  if (cached.ok()) prev = cached->raw;
  for (auto it = net.plugins.rbegin(); it != net.plugins.rend(); ++it) {
    SILO_RETURN_IF_ERROR(RunPlugin(net, *it, "DEL", &prev, rt).status());
  }
  if (::remove(cache_path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoToStatus(errno, absl::StrCat("remove CNI result cache ", cache_path));
  }
  return absl::OkStatus();
}

absl::StatusOr<Result> Invoker::Add(const NetworkConfigList& net, const RuntimeConf& rt) {
  StepTimer timer(Timing::kCniCall, "ADD");
  absl::StatusOr<Result> r = AddUntimed(net, rt);
  timer.Done(r.ok());
  return r;
}

absl::Status Invoker::Check(const NetworkConfigList& net, const RuntimeConf& rt) {
  StepTimer timer(Timing::kCniCall, "CHECK");
  absl::Status s = CheckUntimed(net, rt);
  timer.Done(s.ok());
  return s;
}

absl::Status Invoker::Del(const NetworkConfigList& net, const RuntimeConf& rt) {
  StepTimer timer(Timing::kCniCall, "DEL");
  absl::Status s = DelUntimed(net, rt);
  timer.Done(s.ok());
  return s;
}

}  // namespace silo::network::cni
