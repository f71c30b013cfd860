#include "image/image_config.h"

namespace silo::image {
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

bool BoolField(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
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
  out.args_escaped = BoolField(c, "ArgsEscaped");
  return out;
}

nlohmann::json ImageConfigToJson(const ImageConfig& c) {
  return {{"entrypoint", c.entrypoint}, {"cmd", c.cmd},
          {"env", c.env},               {"working_dir", c.working_dir},
          {"user", c.user},             {"stop_signal", c.stop_signal},
          {"args_escaped", c.args_escaped}, {"os", c.os}};
}

ImageConfig ImageConfigFromJson(const nlohmann::json& j) {
  ImageConfig c;
  if (!j.is_object()) return c;
  c.entrypoint = StringList(j.value("entrypoint", nlohmann::json::array()));
  c.cmd = StringList(j.value("cmd", nlohmann::json::array()));
  c.env = StringList(j.value("env", nlohmann::json::array()));
  c.working_dir = StringField(j, "working_dir");
  c.user = StringField(j, "user");
  c.stop_signal = StringField(j, "stop_signal");
  c.args_escaped = BoolField(j, "args_escaped");
  c.os = StringField(j, "os");
  return c;
}

}  // namespace silo::image
