#include "absl/time/clock.h"
#include "cri/server/image_handlers.h"

namespace silo::cri {

absl::Status HandleImageFsInfo(image::ImageManager& images, const ::runtime::v1::ImageFsInfoRequest& /*request*/,
                               ::runtime::v1::ImageFsInfoResponse* response) {
  const image::FsUsage usage = images.FsInfo();
  auto* fs = response->add_image_filesystems();
  fs->set_timestamp(absl::GetCurrentTimeNanos());
  fs->mutable_fs_id()->set_mountpoint(images.root());
  fs->mutable_used_bytes()->set_value(static_cast<uint64_t>(usage.bytes));
  fs->mutable_inodes_used()->set_value(static_cast<uint64_t>(usage.inodes));
  return absl::OkStatus();
}

}  // namespace silo::cri
