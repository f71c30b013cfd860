#include "network/cni/conf_loader.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/base/file_util.h"

namespace silo::network::cni {

absl::StatusOr<NetworkConfigList> ParseNetworkConfig(const std::string& path, const std::string& text) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a JSON object"));
  }
  NetworkConfigList out;
  out.path = path;
  if (!doc.contains("name") || !doc["name"].is_string() || doc["name"].get<std::string>().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": missing network \"name\""));
  }
  out.name = doc["name"];
  if (doc.contains("cniVersion") && doc["cniVersion"].is_string()) out.cni_version = doc["cniVersion"];

  if (absl::EndsWith(path, ".conflist")) {
    if (!doc.contains("plugins") || !doc["plugins"].is_array() || doc["plugins"].empty()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": a .conflist needs a non-empty \"plugins\" list"));
    }
    out.raw = doc;
  } else {
    // A single plugin config: wrap it in a list the way libcni's ConfListFromConf does.
    if (doc.contains("plugins")) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": \"plugins\" belongs in a .conflist file"));
    }
    nlohmann::json list = {{"cniVersion", out.cni_version}, {"name", out.name}, {"plugins", {doc}}};
    out.raw = list;
  }
  for (const auto& p : out.raw["plugins"]) {
    if (!p.is_object() || !p.contains("type") || !p["type"].is_string() || p["type"].get<std::string>().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": every plugin needs a \"type\""));
    }
    out.plugins.push_back(p);
  }
  return out;
}

absl::StatusOr<NetworkConfigList> FindNetworkConfig(const std::string& conf_dir) {
  std::error_code ec;
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(conf_dir, ec)) {
    std::string p = e.path().string();
    if (!e.is_regular_file(ec)) continue;
    if (absl::EndsWith(p, ".conflist") || absl::EndsWith(p, ".conf") || absl::EndsWith(p, ".json")) {
      files.push_back(p);
    }
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return absl::UnavailableError(absl::StrCat("read CNI config dir ", conf_dir, ": ", ec.message()));
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> skipped;
  for (const auto& f : files) {
    auto text = ReadFile(f);
    if (!text.ok()) {
      skipped.push_back(std::string(text.status().message()));
      continue;
    }
    auto conf = ParseNetworkConfig(f, *text);
    if (conf.ok()) return conf;
    skipped.push_back(std::string(conf.status().message()));
  }
  std::string msg = absl::StrCat("no network config found in ", conf_dir);
  if (!skipped.empty()) absl::StrAppend(&msg, " (skipped: ", absl::StrJoin(skipped, "; "), ")");
  return absl::NotFoundError(msg);
}

}  // namespace silo::network::cni
