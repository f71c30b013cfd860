#include "image/layers/overlay/overlay_layer_store.h"

#include <errno.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/base/failpoint.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"

namespace silo::image::overlay {

std::string OverlayLayerStore::RootfsDir(const std::string& container_id) const {
  return absl::StrCat(options_.mount_root, "/", container_id, "/rootfs");
}

std::string OverlayLayerStore::WritableDir(const std::string& container_id) const {
  return absl::StrCat(options_.writable_root, "/", container_id);
}

absl::StatusOr<PreparedRootfs> OverlayLayerStore::Prepare(const std::string& container_id,
                                                          const std::vector<std::string>& chain_ids) {
  SILO_FAILPOINT("container.rootfs_mount");
  const std::string base = WritableDir(container_id);
  struct stat st;
  if (::stat(base.c_str(), &st) == 0) {
    return absl::AlreadyExistsError(absl::StrCat("container ", container_id, " has a writable layer at ", base));
  }
  PreparedRootfs out;
  out.path = RootfsDir(container_id);
  for (const std::string& chain : chain_ids) out.layer_dirs.push_back(options_.snapshot_dir(chain));
  SILO_RETURN_IF_ERROR(MakeDirs(base + "/upper", 0755));
  SILO_RETURN_IF_ERROR(MakeDirs(base + "/work", 0700));
  SILO_RETURN_IF_ERROR(MakeDirs(out.path, 0755));
  // overlayfs wants the topmost lower first; an image without layers gets an
  // empty lower so the mount still works.
  std::vector<std::string> lowers(out.layer_dirs.rbegin(), out.layer_dirs.rend());
  if (lowers.empty()) {
    SILO_RETURN_IF_ERROR(MakeDirs(base + "/empty", 0755));
    lowers.push_back(base + "/empty");
  }
  std::string data = absl::StrCat("lowerdir=", absl::StrJoin(lowers, ":"), ",upperdir=", base,
                                  "/upper,workdir=", base, "/work");
  // `volatile` (Linux 5.10+) skips the syncs of the writable layer, above
  // all the one at unmount, which made RemoveContainer wait for the disk. A
  // container's writable layer is never mounted again after a crash (a
  // restarted pod gets new containers), which is the one thing volatile
  // forbids. Older kernels refuse the option: mount without it.
  const std::string volatile_data = data + ",volatile";
  if (volatile_data.size() >= 4096) {
    return absl::InvalidArgumentError(absl::StrCat("container ", container_id, ": overlay options for ",
                                                   lowers.size(), " layers exceed a page"));
  }
  if (::mount("overlay", out.path.c_str(), "overlay", 0, volatile_data.c_str()) == 0) return out;
  if (errno == EINVAL && ::mount("overlay", out.path.c_str(), "overlay", 0, data.c_str()) == 0) return out;
  return ErrnoToStatus(errno, absl::StrCat("container ", container_id, ": mount overlay rootfs at ", out.path));
}

absl::Status OverlayLayerStore::Release(const std::string& container_id) {
  const std::string rootfs = RootfsDir(container_id);
  if (::umount2(rootfs.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return ErrnoToStatus(errno, absl::StrCat("umount ", rootfs));
  }
  return absl::OkStatus();
}

absl::Status OverlayLayerStore::Remove(const std::string& container_id) {
  // Unmounted first: deleting through a live overlay would write whiteouts.
  SILO_RETURN_IF_ERROR(Release(container_id));
  return trash_.Discard(WritableDir(container_id));
}

}  // namespace silo::image::overlay
