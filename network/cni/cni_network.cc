#include "network/cni/cni_network.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "network/cni/conf_loader.h"

namespace silo::network::cni {

absl::StatusOr<std::string> CniNetwork::FindPlugin(const std::string& type) const {
  if (type.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("CNI plugin type \"", type, "\" must not contain '/'"));
  }
  for (const auto& dir : bin_dirs_) {
    std::string path = absl::StrCat(dir, "/", type);
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return absl::NotFoundError(absl::StrCat("CNI plugin \"", type, "\" not found in ", absl::StrJoin(bin_dirs_, ", ")));
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
