#pragma once
// PodNetwork over CNI plugins: ready once a network config exists in the conf
// dir and every plugin it names is an executable in one of the bin dirs.

#include <string>
#include <vector>

#include "network/cni/plugin_exec.h"
#include "network/pod_network.h"

namespace silo::network::cni {

class CniNetwork final : public PodNetwork {
 public:
  // `find_plugin` unset: FindPluginBinary.
  CniNetwork(std::vector<std::string> bin_dirs, std::string conf_dir, PluginFinder find_plugin = {})
      : bin_dirs_(std::move(bin_dirs)), conf_dir_(std::move(conf_dir)), find_plugin_(std::move(find_plugin)) {}

  absl::Status Ready() const override;

  // Absolute path of plugin `type`, or NotFound naming the dirs searched.
  absl::StatusOr<std::string> FindPlugin(const std::string& type) const;

 private:
  std::vector<std::string> bin_dirs_;
  std::string conf_dir_;
  PluginFinder find_plugin_;
};

}  // namespace silo::network::cni
