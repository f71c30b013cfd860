#include "runtime/container/image_config.h"

#include <map>

#include "absl/strings/str_cat.h"

namespace silo::runtime::container {
absl::StatusOr<std::vector<std::string>> MergeArgs(const ::runtime::v1::ContainerConfig& config,
                                                   const ImageConfig& image) {
  std::vector<std::string> command(config.command().begin(), config.command().end());
  std::vector<std::string> args(config.args().begin(), config.args().end());
  if (command.empty()) {
    command = image.entrypoint;
    if (args.empty()) args = image.cmd;
  }
  command.insert(command.end(), args.begin(), args.end());
  if (command.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("container ", config.metadata().name(),
                     ": no command: neither the request nor the image sets one"));
  }
  return command;
}

bool FirstArgIsEscapedCommandLine(const ::runtime::v1::ContainerConfig& config, const ImageConfig& image) {
  if (!image.args_escaped || !config.command().empty()) return false;
  // With CRI args the image Cmd is replaced, so args[0] is the image's only
  // when it has an Entrypoint; without them it is Entrypoint[0] or Cmd[0].
  return config.args().empty() ? !(image.entrypoint.empty() && image.cmd.empty()) : !image.entrypoint.empty();
}

std::vector<std::string> MergeEnv(const ::runtime::v1::ContainerConfig& config, const ImageConfig& image) {
  std::vector<std::string> env = image.env;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < env.size(); ++i) index[env[i].substr(0, env[i].find('='))] = i;
  for (const auto& kv : config.envs()) {
    std::string entry = absl::StrCat(kv.key(), "=", kv.value());
    if (auto it = index.find(kv.key()); it != index.end()) {
      env[it->second] = entry;
    } else {
      index[kv.key()] = env.size();
      env.push_back(entry);
    }
  }
  return env;
}

}  // namespace silo::runtime::container
