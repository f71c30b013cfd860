#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "cri/server/image_handlers.h"
#include "runtime/base/status_macros.h"

namespace silo::cri {

absl::Status HandlePullImage(image::ImageManager& images, const ::runtime::v1::PullImageRequest& request,
                             ::runtime::v1::PullImageResponse* response) {
  const std::string& name = request.image().image();
  if (name.empty()) return absl::InvalidArgumentError("PullImage: image reference is empty");
  std::optional<image::registry::AuthConfig> auth;
  if (request.has_auth()) {
    const auto& a = request.auth();
    image::registry::AuthConfig config{a.username(), a.password(), a.auth(), a.identity_token(),
                                       a.registry_token()};
    if (!config.Empty()) auth = std::move(config);
  }
  SILO_ASSIGN_OR_RETURN(std::string id, images.Pull(name, auth));
  response->set_image_ref(id);
  return absl::OkStatus();
}

}  // namespace silo::cri
