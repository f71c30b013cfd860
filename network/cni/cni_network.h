#pragma once
// PodNetwork over CNI plugins: ready once a network config exists in the conf
// dir and every plugin it names is an executable in one of the bin dirs.

#include <string>
#include <vector>

#include "network/pod_network.h"

namespace silo::network::cni {

class CniNetwork final : public PodNetwork {
 public:
  CniNetwork(std::vector<std::string> bin_dirs, std::string conf_dir)
      : bin_dirs_(std::move(bin_dirs)), conf_dir_(std::move(conf_dir)) {}

  absl::Status Ready() const override;

  // Absolute path of plugin `type`, or NotFound naming the dirs searched.
  absl::StatusOr<std::string> FindPlugin(const std::string& type) const;

 private:
  std::vector<std::string> bin_dirs_;
  std::string conf_dir_;
};

}  // namespace silo::network::cni
