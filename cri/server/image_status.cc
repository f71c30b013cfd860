#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cri/server/image_handlers.h"
#include "nlohmann/json.hpp"
#include "runtime/base/status_macros.h"

namespace silo::cri {

::runtime::v1::Image ToCriImage(const image::ImageRecord& record) {
  ::runtime::v1::Image out;
  out.set_id(record.id);
  for (const auto& t : record.repo_tags) out.add_repo_tags(t);
  for (const auto& d : record.repo_digests) out.add_repo_digests(d);
  out.set_size(static_cast<uint64_t>(record.size));
  out.set_pinned(record.pinned);
  const std::string user = record.user.substr(0, record.user.find(':'));
  int64_t uid = 0;
  if (!user.empty() && absl::SimpleAtoi(user, &uid) && uid >= 0) {
    out.mutable_uid()->set_value(uid);
  } else {
    out.set_username(user);
  }
  out.mutable_spec()->set_image(record.id);
  for (const auto& [k, v] : record.annotations) (*out.mutable_spec()->mutable_annotations())[k] = v;
  return out;
}

absl::Status HandleImageStatus(image::ImageManager& images, const ::runtime::v1::ImageStatusRequest& request,
                               ::runtime::v1::ImageStatusResponse* response) {
  const std::string& name = request.image().image();
  if (name.empty()) return absl::InvalidArgumentError("ImageStatus: image reference is empty");
  SILO_ASSIGN_OR_RETURN(std::optional<image::ImageRecord> record, images.Status(name));
  if (!record.has_value()) return absl::OkStatus();
  *response->mutable_image() = ToCriImage(*record);
  if (!request.verbose()) return absl::OkStatus();

  nlohmann::json info = {{"id", record->id},
                         {"manifestDigest", record->manifest_digest},
                         {"diffIDs", record->diff_ids},
                         {"chainIDs", record->chain_ids},
                         // containerd's key: the chain ID of the top layer.
                         {"chainID", record->chain_ids.empty() ? "" : record->chain_ids.back()}};
  absl::StatusOr<std::string> config = images.ConfigJson(record->id);
  if (config.ok()) {
    // The blob was verified against its digest when it was stored.
    info["imageSpec"] = nlohmann::json::parse(*config, nullptr, /*allow_exceptions=*/false);
  } else {
    info["imageSpec"] = nullptr;
    info["error"] = std::string(config.status().message());
  }
  (*response->mutable_info())["info"] = info.dump();
  return absl::OkStatus();
}

}  // namespace silo::cri
