#include "network/cni/cni_network.h"

#include "absl/strings/str_cat.h"
#include "network/cni/conf_loader.h"
#include "network/cni/plugin_exec.h"

namespace silo::network::cni {

absl::StatusOr<std::string> CniNetwork::FindPlugin(const std::string& type) const {
  if (find_plugin_) return find_plugin_(bin_dirs_, type);
  return FindPluginBinary(bin_dirs_, type);
}

absl::Status CniNetwork::Ready() const {
  auto conf = FindNetworkConfig(conf_dir_);
  if (!conf.ok()) return conf.status();
  for (const auto& plugin : conf->plugins) {
    auto path = FindPlugin(plugin["type"].get<std::string>());
    if (!path.ok()) {
      return absl::FailedPreconditionError(absl::StrCat("network \"", conf->name, "\" (", conf->path, "): ", path.status().message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace silo::network::cni
