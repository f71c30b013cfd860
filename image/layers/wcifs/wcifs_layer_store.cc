#include "image/layers/wcifs/wcifs_layer_store.h"

#include <filesystem>
#include <system_error>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "image/layers/wcifs/importer.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"
#include "runtime/windows/hresult.h"

namespace silo::image::layers::wcifs {
namespace {

namespace fs = std::filesystem;
using runtime::windows::HrStatusToStatus;

// A container id becomes a folder name: no separators, no dot names.
bool ValidContainerId(const std::string& id) {
  return !id.empty() && id.find_first_of("/\\.:") == std::string::npos;
}

bool PathExists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

}  // namespace

WcifsLayerStore::WcifsLayerStore(WcifsLayerStoreOptions options, const LayerApi* api)
    : options_(std::move(options)),
      calls_(api, options_.retry),
      mounts_(LayerCalls(api, options_.retry), absl::StrCat(options_.root, "/mounts")) {}

std::unique_ptr<WcifsLayerStore> MakeWcifsLayerStore(WcifsLayerStoreOptions options, const LayerApi* api) {
  return std::make_unique<WcifsLayerStore>(std::move(options), api);
}

std::string WcifsLayerStore::ScratchDir(const std::string& container_id) const {
  return absl::StrCat(options_.root, "/scratch/", container_id);
}

absl::Status WcifsLayerStore::DestroyScratch(const std::string& scratch) {
  if (!PathExists(scratch)) return absl::OkStatus();
  return HrStatusToStatus(calls_.DestroyLayer(scratch), "DestroyLayer", scratch);
}

absl::StatusOr<PreparedRootfs> WcifsLayerStore::Prepare(const std::string& container_id,
                                                        const std::vector<std::string>& chain_ids) {
  if (!ValidContainerId(container_id)) {
    return absl::InvalidArgumentError(absl::StrCat("bad container id \"", container_id, "\""));
  }
  if (chain_ids.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("container ", container_id, ": a Windows image needs at least its base layer"));
  }
  PreparedRootfs out;
  std::vector<std::string> parents;  // nearest first
  for (const std::string& chain : chain_ids) {
    const std::string dir = options_.layer_dir(chain);
    if (!PathExists(absl::StrCat(dir, "/", kImportedMarker))) {
      return absl::FailedPreconditionError(
          absl::StrCat("container ", container_id, ": layer ", chain, " is not imported (", dir, ")"));
    }
    out.layer_dirs.push_back(dir);
  }
  parents.assign(out.layer_dirs.rbegin(), out.layer_dirs.rend());

  const std::string scratch = ScratchDir(container_id);
  // An earlier Prepare of this id that could not undo its mount left the
  // record of it: finish that undo, then its scratch is a leftover too.
  SILO_ASSIGN_OR_RETURN(bool leftover, mounts_.UndoLeftover(container_id));
  if (leftover) {
    SILO_RETURN_IF_ERROR(Annotate(DestroyScratch(scratch), absl::StrCat("removing the writable layer an earlier, "
                                                                       "failed prepare of ", container_id, " left")));
  }
  if (PathExists(scratch)) {
    return absl::AlreadyExistsError(
        absl::StrCat("container ", container_id, " has a writable layer at ", scratch));
  }
  SILO_RETURN_IF_ERROR(MakeDirs(scratch));
  // Mounts::Mount undoes its own partial work; what is left is the scratch.
  absl::Cleanup undo = [&] {
    absl::Status destroyed = DestroyScratch(scratch);
    if (!destroyed.ok()) {
      // Never leave the folder for a retry to trip over (AlreadyExists).
      std::error_code ec;
      fs::remove_all(scratch, ec);
    }
  };
  SILO_RETURN_IF_ERROR(HrStatusToStatus(calls_.CreateSandboxLayer(scratch, parents), "CreateSandboxLayer", scratch));
  if (options_.scratch_size_bytes > 0) {
    SILO_RETURN_IF_ERROR(HrStatusToStatus(calls_.ExpandSandboxSize(scratch, options_.scratch_size_bytes),
                                          "ExpandSandboxSize", scratch));
  }
  SILO_RETURN_IF_ERROR(AtomicWriteFile(absl::StrCat(scratch, "/", kLayerChainFile), nlohmann::json(parents).dump()));
  SILO_ASSIGN_OR_RETURN(out.path, mounts_.Mount(container_id, scratch, parents));
  std::move(undo).Cancel();
  return out;
}

absl::Status WcifsLayerStore::Release(const std::string& container_id) {
  if (!ValidContainerId(container_id)) return absl::OkStatus();  // never prepared
  return Annotate(mounts_.Release(container_id), absl::StrCat("release rootfs of ", container_id));
}

absl::Status WcifsLayerStore::Remove(const std::string& container_id) {
  if (!ValidContainerId(container_id)) return absl::OkStatus();
  SILO_RETURN_IF_ERROR(Release(container_id));
  return Annotate(DestroyScratch(ScratchDir(container_id)), absl::StrCat("remove writable layer of ", container_id));
}

absl::StatusOr<std::vector<std::string>> WcifsLayerStore::Recover(const std::set<std::string>& live) {
  return mounts_.Recover(live);
}

absl::StatusOr<DirUsage> WcifsLayerStore::WritableLayerUsage(const std::string& container_id) const {
  if (!ValidContainerId(container_id)) {
    return absl::InvalidArgumentError(absl::StrCat("bad container id \"", container_id, "\""));
  }
  return MeasureDir(ScratchDir(container_id));
}

}  // namespace silo::image::layers::wcifs
