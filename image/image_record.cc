#include "image/image_record.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "image/digest.h"
#include "nlohmann/json.hpp"

namespace silo::image {

std::vector<std::string> ImageRecord::Blobs() const {
  std::vector<std::string> blobs;
  blobs.reserve(layer_digests.size() + 1);
  blobs.push_back(id);
  blobs.insert(blobs.end(), layer_digests.begin(), layer_digests.end());
  return blobs;
}

std::vector<std::string> ChainIds(const std::vector<std::string>& diff_ids) {
  std::vector<std::string> chain;
  chain.reserve(diff_ids.size());
  for (const std::string& diff : diff_ids) {
    if (chain.empty()) {
      chain.push_back(diff);
    } else {
      chain.push_back(Sha256Of(absl::StrCat(chain.back(), " ", diff)).String());
    }
  }
  return chain;
}

std::string LayersKvKey(const std::string& image_id) { return absl::StrCat(kLayersKvPrefix, image_id); }

runtime::store::ImageEntry ToEntry(const ImageRecord& record) {
  runtime::store::ImageEntry entry;
  entry.id = record.id;
  entry.repo_tags = record.repo_tags;
  entry.repo_digests = record.repo_digests;
  entry.size = record.size;
  entry.pinned = record.pinned;
  entry.username = record.user;
  entry.annotations = record.annotations;
  entry.created_ns = record.created_ns;
  return entry;
}

std::string LayersJson(const ImageRecord& record) {
  nlohmann::json j = {{"manifest_digest", record.manifest_digest},
                      {"layer_digests", record.layer_digests},
                      {"diff_ids", record.diff_ids},
                      {"chain_ids", record.chain_ids},
                      {"config", ImageConfigToJson(record.config)}};
  return j.dump();
}

absl::StatusOr<ImageRecord> FromStored(const runtime::store::ImageEntry& entry, const std::string& layers_json) {
  ImageRecord record;
  record.id = entry.id;
  record.repo_tags = entry.repo_tags;
  record.repo_digests = entry.repo_digests;
  record.size = entry.size;
  record.pinned = entry.pinned;
  record.user = entry.username;
  record.annotations = entry.annotations;
  record.created_ns = entry.created_ns;
  try {
    nlohmann::json j = nlohmann::json::parse(layers_json);
    record.manifest_digest = j.at("manifest_digest").get<std::string>();
    record.layer_digests = j.at("layer_digests").get<std::vector<std::string>>();
    record.diff_ids = j.at("diff_ids").get<std::vector<std::string>>();
    record.chain_ids = j.at("chain_ids").get<std::vector<std::string>>();
    // Records from before the config was kept have none; ImageManager::Load
    // parses it once from the content store.
    if (j.contains("config")) {
      record.config = ImageConfigFromJson(j.at("config"));
      record.config_loaded = true;
    }
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("image ", entry.id, ": malformed layer record in metadata db: ", e.what()));
  }
  if (record.chain_ids.size() != record.diff_ids.size() || record.layer_digests.size() != record.diff_ids.size()) {
    return absl::InvalidArgumentError(absl::StrCat("image ", entry.id, ": layer record lists differ in length"));
  }
  return record;
}

}  // namespace silo::image
