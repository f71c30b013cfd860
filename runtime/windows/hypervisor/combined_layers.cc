#include "runtime/windows/hypervisor/combined_layers.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "runtime/windows/hypervisor/modify_request.h"

namespace silo::runtime::windows::hypervisor {
namespace {

using nlohmann::json;

constexpr char kCombinedLayers[] = "CombinedLayers";

absl::Status CheckRoot(const std::string& root) {
  if (!IsAbsoluteWindowsPath(root)) {
    return absl::InvalidArgumentError(absl::StrCat("container root path '", root, "' is not absolute"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> BuildCombinedLayersAddRequest(const std::string& container_root_path,
                                                          const std::vector<GuestLayer>& layers) {
  if (absl::Status s = CheckRoot(container_root_path); !s.ok()) return s;
  if (layers.empty()) return absl::InvalidArgumentError("combined layers need at least the base layer");
  json list = json::array();
  for (const GuestLayer& layer : layers) {
    if (!IsGuidString(layer.id)) {
      return absl::InvalidArgumentError(absl::StrCat("layer id '", layer.id, "' is not a GUID"));
    }
    if (!IsAbsoluteWindowsPath(layer.guest_path)) {
      return absl::InvalidArgumentError(absl::StrCat("layer ", layer.id, ": guest path '", layer.guest_path,
                                                     "' is not absolute"));
    }
    list.push_back({{"Id", layer.id}, {"Path", layer.guest_path}});
  }
  return Serialize(GuestOnlyModify(GuestModification(
      kRequestAdd, kCombinedLayers, json{{"ContainerRootPath", container_root_path}, {"Layers", std::move(list)}})));
}

absl::StatusOr<std::string> BuildCombinedLayersRemoveRequest(const std::string& container_root_path) {
  if (absl::Status s = CheckRoot(container_root_path); !s.ok()) return s;
  return Serialize(GuestOnlyModify(
      GuestModification(kRequestRemove, kCombinedLayers, json{{"ContainerRootPath", container_root_path}})));
}

}  // namespace silo::runtime::windows::hypervisor
