#include "runtime/container/image_config.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace silo::runtime::container {
namespace {

std::vector<std::string> StringList(const nlohmann::json& j) {
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

std::string StringField(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

absl::StatusOr<ImageConfig> ParseImageConfig(const std::string& config_json) {
  nlohmann::json doc = nlohmann::json::parse(config_json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return absl::InvalidArgumentError("image config is not a JSON object");
  ImageConfig out;
  out.os = StringField(doc, "os");
  auto it = doc.find("config");
  if (it == doc.end() || !it->is_object()) return out;
  const nlohmann::json& c = *it;
  if (c.contains("Entrypoint")) out.entrypoint = StringList(c["Entrypoint"]);
  if (c.contains("Cmd")) out.cmd = StringList(c["Cmd"]);
  if (c.contains("Env")) out.env = StringList(c["Env"]);
  out.working_dir = StringField(c, "WorkingDir");
  out.user = StringField(c, "User");
  out.stop_signal = StringField(c, "StopSignal");
  if (auto e = c.find("ArgsEscaped"); e != c.end() && e->is_boolean()) out.args_escaped = e->get<bool>();
  return out;
}

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
