// Service's ImageService methods: each forwards to its handler in image_*.cc
// when an image manager is wired, and answers UNIMPLEMENTED otherwise.
#include "cri/server/image_handlers.h"
#include "cri/server/service.h"

namespace silo::cri {

#define SILO_FORWARD_IMAGE_RPC(name, handler)                                                      \
  absl::Status Service::name(const ::runtime::v1::name##Request& request,                          \
                             ::runtime::v1::name##Response* response) {                            \
    if (images_ == nullptr) return UnimplementedRpc(#name);                                        \
    return handler(*images_, request, response);                                                   \
  }

SILO_FORWARD_IMAGE_RPC(PullImage, HandlePullImage)
SILO_FORWARD_IMAGE_RPC(ImageStatus, HandleImageStatus)
SILO_FORWARD_IMAGE_RPC(ListImages, HandleListImages)
SILO_FORWARD_IMAGE_RPC(RemoveImage, HandleRemoveImage)
SILO_FORWARD_IMAGE_RPC(ImageFsInfo, HandleImageFsInfo)

#undef SILO_FORWARD_IMAGE_RPC

}  // namespace silo::cri
