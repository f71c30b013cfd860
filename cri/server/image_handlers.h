#pragma once
// CRI ImageService handlers as free functions over image::ImageManager, one
// .cc per RPC (image_pull.cc, image_status.cc, ...). The Service methods
// forward to these; keeping them free makes them testable without the rest
// of the service.
//
// Behaviour (matches containerd's CRI plugin):
//  - PullImage returns image_ref = the image id (config digest), equal to
//    Image.id in ImageStatus/ListImages. AuthConfig.server_address is not
//    used: the credentials apply to the image's own registry.
//  - ImageStatus of an unknown image is OK with `image` unset. `verbose`
//    adds info["info"], a JSON object {"id", "imageSpec" (the config),
//    "manifestDigest", "diffIDs", "chainIDs"}.
//  - ListImages honours filter.image (any name or id; unknown -> empty).
//  - RemoveImage removes the image the name resolves to with all its tags
//    and digests; unknown is OK.
//  - ImageFsInfo reports one filesystem, the image root holding content and
//    snapshots, from O(1) running counters.
// Errors are absl::Status; the gRPC edge converts them.
//
// Thread-safe to the extent ImageManager is (fully).

#include "absl/status/status.h"
#include "cri/api/cri.h"
#include "image/image_manager.h"
#include "image/image_record.h"

namespace silo::cri {

absl::Status HandlePullImage(image::ImageManager& images, const ::runtime::v1::PullImageRequest& request,
                             ::runtime::v1::PullImageResponse* response);
absl::Status HandleImageStatus(image::ImageManager& images, const ::runtime::v1::ImageStatusRequest& request,
                               ::runtime::v1::ImageStatusResponse* response);
absl::Status HandleListImages(image::ImageManager& images, const ::runtime::v1::ListImagesRequest& request,
                              ::runtime::v1::ListImagesResponse* response);
absl::Status HandleRemoveImage(image::ImageManager& images, const ::runtime::v1::RemoveImageRequest& request,
                               ::runtime::v1::RemoveImageResponse* response);
absl::Status HandleImageFsInfo(image::ImageManager& images, const ::runtime::v1::ImageFsInfoRequest& request,
                               ::runtime::v1::ImageFsInfoResponse* response);

// The CRI view of a record: config.User "1000:1000" -> uid 1000, "nobody" ->
// username "nobody" (the group part is dropped, as kubelet only reads the
// user); spec carries the id and the config labels as annotations.
::runtime::v1::Image ToCriImage(const image::ImageRecord& record);

}  // namespace silo::cri
