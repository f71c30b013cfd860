#pragma once
// LayerCalls: the call wrappers over LayerApi (the layer between the DLL
// table and the importer/mounter). Converts UTF-8 <-> UTF-16, builds the
// DriverInfo and WC_LAYER_DESCRIPTOR arrays (ids from NameToGuid of each
// parent folder's name), and names the call and path in every error. Like
// runtime/windows/hcs it depends only on the standard library, so it also
// cross-compiles with mingw-w64; callers convert HrStatus to absl::Status.
//
// Mount sequence (hcsshim internal/layers/wcow_mount.go): ActivateLayer,
// then PrepareLayer, retried together up to `attempts` times when either
// fails with ERROR_NOT_READY or ERROR_DEVICE_NOT_CONNECTED (RS5 under load);
// a failed PrepareLayer deactivates before retrying. PrepareLayer runs under
// a process-wide mutex (a Windows timeout bug hcsshim works around the same
// way). Release is UnprepareLayer then DeactivateLayer; a failed
// UnprepareLayer stops it (the volume cannot go while the filter is on).
//
// Paths: callers may join with '/', but vmcompute and computestorage get
// Windows paths only: every path (layer, scratch, source folder, parent,
// the root of a relative call) goes through WindowsPath here, so no call
// site can hand the API a mixed one. `rel` stays '/'-separated: the API's
// relative primitives split it themselves (relative_path.h).
//
// Thread-safe: the object holds only the immutable table and policy.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "image/layers/wcifs/api.h"
#include "image/layers/wcifs/relative_path.h"
#include "runtime/base/windows/result.h"

namespace silo::image::layers::wcifs {

using HrStatus = win32::HrStatus;
template <typename T>
using HrResult = win32::Result<T>;

inline constexpr uint32_t kErrorNotReady = 21;              // ERROR_NOT_READY
inline constexpr uint32_t kErrorDeviceNotConnected = 1167;  // ERROR_DEVICE_NOT_CONNECTED
inline constexpr uint32_t kErrorInvalidState = 5023;        // ERROR_INVALID_STATE
inline constexpr uint32_t kErrorFileNotFound = 2;           // ERROR_FILE_NOT_FOUND
inline constexpr uint32_t kErrorPathNotFound = 3;           // ERROR_PATH_NOT_FOUND
inline constexpr uint32_t kFileAttributeDirectoryBit = 0x10;

// True for the transient mount errors, bare or as 0x8007xxxx HRESULTs.
bool IsTransientMountError(uint32_t hr);

// `path` with every '/' turned into '\\' and repeated separators collapsed,
// a leading "\\\\?\\" (long form), "\\\\.\\" or UNC "\\\\" kept as is.
std::string WindowsPath(std::string_view path);

struct RetryPolicy {
  int attempts = 5;
  std::chrono::milliseconds delay{100};
};

class LayerCalls {
 public:
  explicit LayerCalls(const LayerApi* api, RetryPolicy retry = {}) : api_(api), retry_(retry) {}

  const LayerApi& api() const { return *api_; }

  // NameToGuid(basename(path)) in registry form "xxxxxxxx-xxxx-...".
  HrResult<std::string> LayerId(const std::string& layer_path) const;

  HrStatus ImportLayer(const std::string& layer_path, const std::string& source_folder,
                       const std::vector<std::string>& parents) const;
  HrStatus ProcessBaseImage(const std::string& layer_path) const;
  HrStatus ProcessUtilityImage(const std::string& utility_vm_path) const;
  // computestorage HcsImportLayer(layer_path, source_folder, layer data
  // naming `parents`, nearest first, by NameToGuid id and path).
  HrStatus HcsImportLayer(const std::string& layer_path, const std::string& source_folder,
                          const std::vector<std::string>& parents) const;
  // vmcompute CreateSandboxLayer (hcsshim wclayer.CreateScratchLayer): makes
  // <scratch_path>/sandbox.vhdx over `parents` (nearest first, base last).
  // The folder must exist.
  HrStatus CreateSandboxLayer(const std::string& scratch_path, const std::vector<std::string>& parents) const;
  HrStatus ExpandSandboxSize(const std::string& scratch_path, uint64_t size_bytes) const;
  HrStatus DestroyLayer(const std::string& layer_path) const;

  // Activate + Prepare (with retries), then the volume path "\\?\Volume{...}\".
  // On failure the partial work is undone; `leftover` (when given) says
  // whether that undo failed, so the layer may still be activated or
  // prepared and a later UndoPartialMount must finish it.
  HrResult<std::string> Mount(const std::string& scratch_path, const std::vector<std::string>& parents,
                              bool* leftover = nullptr) const;
  // Unprepare then Deactivate; stops at a failed Unprepare.
  HrStatus Unmount(const std::string& scratch_path) const;
  // Unprepare and Deactivate, each attempted whatever the other returned
  // (hcsshim's rollback of a half-done mount). Ok when the layer is left
  // neither prepared nor activated: Deactivate succeeded, or refused with
  // ERROR_INVALID_STATE because the layer was not activated at all; else
  // Deactivate's error (a still prepared layer cannot be deactivated).
  HrStatus UndoPartialMount(const std::string& scratch_path) const;

  HrStatus EnablePrivileges(const std::vector<std::string>& names) const;
  HrStatus RevertToSelf() const;

  // The layer-content primitives (api.h): `root` is a folder Silo owns,
  // `rel` a '/'-separated path below it, checked component by component
  // against reparse points by the API itself.
  HrStatus BackupWriteRelative(const std::string& root, const std::string& rel, const FileBasicInfo& info,
                               const std::string& stream, bool process_security) const;
  HrStatus SetFileBasicInfoRelative(const std::string& root, const std::string& rel,
                                    const FileBasicInfo& info) const;
  HrStatus MkdirRelative(const std::string& root, const std::string& rel) const;
  // MkdirRelative of every prefix of `rel`, shortest first.
  HrStatus MkdirAllRelative(const std::string& root, const std::string& rel) const;
  // FILE_ATTRIBUTE_* of `rel` itself.
  HrResult<uint32_t> LstatRelative(const std::string& root, const std::string& rel) const;
  HrStatus RemoveAllRelative(const std::string& root, const std::string& rel) const;
  HrStatus LinkRelative(const std::string& existing_root, const std::string& existing_rel,
                        const std::string& new_root, const std::string& new_rel) const;

 private:
  HrResult<std::string> MountPath(const std::string& scratch_path) const;

  const LayerApi* api_;
  RetryPolicy retry_;
};

// "{...}"-less registry form of a GUID, lower case.
std::string GuidToString(const Guid& guid);

}  // namespace silo::image::layers::wcifs
