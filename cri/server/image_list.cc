#include <string>
#include <vector>

#include "cri/server/image_handlers.h"
#include "runtime/base/status_macros.h"

namespace silo::cri {

absl::Status HandleListImages(image::ImageManager& images, const ::runtime::v1::ListImagesRequest& request,
                              ::runtime::v1::ListImagesResponse* response) {
  const std::string filter = request.has_filter() ? request.filter().image().image() : "";
  SILO_ASSIGN_OR_RETURN(std::vector<image::ImageRecord> records, images.List(filter));
  for (const auto& r : records) *response->add_images() = ToCriImage(r);
  return absl::OkStatus();
}

}  // namespace silo::cri
