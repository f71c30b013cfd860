#include <string>

#include "cri/server/image_handlers.h"

namespace silo::cri {

absl::Status HandleRemoveImage(image::ImageManager& images, const ::runtime::v1::RemoveImageRequest& request,
                               ::runtime::v1::RemoveImageResponse* /*response*/) {
  const std::string& name = request.image().image();
  if (name.empty()) return absl::InvalidArgumentError("RemoveImage: image reference is empty");
  return images.Remove(name);
}

}  // namespace silo::cri
