#pragma once
// Finds the pod network configuration the way libcni (and so containerd and
// CRI-O) does: files ending in .conflist, .conf or .json in the conf dir, in
// lexical order; the first one that parses as a valid network config wins.
// A single-plugin .conf is promoted to a one-plugin list, as libcni does.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace silo::network::cni {

struct NetworkConfigList {
  std::string path;          // file it came from
  std::string name;          // network name
  std::string cni_version;
  std::vector<nlohmann::json> plugins;  // each has at least "type"
  nlohmann::json raw;        // the whole list document, as handed to plugins
};

// Parses one file's content. InvalidArgument says what is wrong.
absl::StatusOr<NetworkConfigList> ParseNetworkConfig(const std::string& path, const std::string& text);

// NotFound (naming the directory) when no usable config exists; the reasons
// invalid files were skipped are appended to the message.
absl::StatusOr<NetworkConfigList> FindNetworkConfig(const std::string& conf_dir);

}  // namespace silo::network::cni
