#pragma once
// Invoker: runs a network configuration list (libcni's AddNetworkList,
// CheckNetworkList, DelNetworkList) per CNI spec 1.0, "Network configuration
// lists".
//
//   ADD    plugins in order; each gets "name", "cniVersion", the previous
//          plugin's result as "prevResult" and the capability args it
//          declares in "capabilities" as "runtimeConfig". The final result is
//          cached (atomically) and returned. On failure nothing is cached and
//          the caller must DEL, as the spec asks of runtimes.
//   CHECK  plugins in order with the cached ADD result as prevResult;
//          NotFound without a cached result, FailedPrecondition for configs
//          older than 0.4.0 (which have no CHECK).
//   DEL    plugins in reverse order with the cached ADD result (if any) as
//          prevResult, then the cache entry is removed. Idempotent: with no
//          cached result the plugins still run, and a netns that is already
//          gone is passed through unchanged (plugins treat it as done).
//          Stops at the first failing plugin and keeps the cache for a retry.
//
// The cache lives in <cache_dir>/results/<network>-<container id>-<ifname>
// (libcni's layout, under a directory the caller owns).
//
// Thread-safe for different (network, container id, ifname) triples; calls
// for one triple must be serialised by the caller (the sandbox owner does).

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "network/cni/conf_loader.h"
#include "network/cni/plugin_exec.h"
#include "network/cni/result.h"
#include "nlohmann/json.hpp"

namespace silo::network::cni {

// What the runtime knows about one attachment.
struct RuntimeConf {
  std::string container_id;  // alphanumerics, '_', '.', '-'
  std::string netns;         // netns path (Linux) or namespace GUID (Windows)
  std::string ifname;        // e.g. "eth0"
  std::vector<std::pair<std::string, std::string>> args;  // CNI_ARGS
  // Capability args by name ("portMappings", "dns", "bandwidth", "ips",
  // "mac", ...); each is given only to plugins declaring it.
  nlohmann::json capability_args = nlohmann::json::object();
};

struct InvokerOptions {
  std::vector<std::string> bin_dirs;  // searched in order for plugin binaries
  std::string cache_dir;              // results/ is created under it
  absl::Duration plugin_timeout = absl::Seconds(60);  // per plugin run
};

class Invoker {
 public:
  // `find_plugin` unset: FindPluginBinary.
  Invoker(InvokerOptions options, std::unique_ptr<PluginExec> exec, PluginFinder find_plugin = {})
      : options_(std::move(options)), exec_(std::move(exec)), find_plugin_(std::move(find_plugin)) {}

  absl::StatusOr<Result> Add(const NetworkConfigList& net, const RuntimeConf& rt);
  absl::Status Check(const NetworkConfigList& net, const RuntimeConf& rt);
  absl::Status Del(const NetworkConfigList& net, const RuntimeConf& rt);

  // The cached ADD result; NotFound when there is none.
  absl::StatusOr<Result> CachedResult(const std::string& network, const RuntimeConf& rt) const;

  // The network config the cached ADD of (rt.container_id, rt.ifname) used,
  // on whichever network; NotFound when no ADD is cached for them. Lets DEL
  // run after the config file is gone, as libcni's cache does.
  absl::StatusOr<NetworkConfigList> CachedConfig(const RuntimeConf& rt) const;

  // Absolute path of plugin `type`; NotFound naming the dirs searched.
  absl::StatusOr<std::string> FindPlugin(const std::string& type) const;

  // The config one plugin receives on stdin (exposed for tests).
  static nlohmann::json BuildPluginConfig(const NetworkConfigList& net, const nlohmann::json& plugin,
                                          const nlohmann::json* prev_result, const RuntimeConf& rt);

 private:
  // Add, Check and Del without their timing (silo::Timing::kCniCall).
  absl::StatusOr<Result> AddUntimed(const NetworkConfigList& net, const RuntimeConf& rt);
  absl::Status CheckUntimed(const NetworkConfigList& net, const RuntimeConf& rt);
  absl::Status DelUntimed(const NetworkConfigList& net, const RuntimeConf& rt);
  absl::StatusOr<std::string> RunPlugin(const NetworkConfigList& net, const nlohmann::json& plugin,
                                        const std::string& command, const nlohmann::json* prev_result,
                                        const RuntimeConf& rt) const;
  absl::StatusOr<std::string> CachePath(const std::string& network, const RuntimeConf& rt) const;

  InvokerOptions options_;
  std::unique_ptr<PluginExec> exec_;
  PluginFinder find_plugin_;
};

}  // namespace silo::network::cni
