#include "runtime/windows/hypervisor/hosted_container_document.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "runtime/windows/hypervisor/modify_request.h"
#include "runtime/windows/schema/json.h"

namespace silo::runtime::windows::hypervisor {
namespace {

using nlohmann::json;

// BuildContainerDocument wants a host volume for the scratch; a hosted
// container's root is a guest path, set once the rest is built.
constexpr char kPlaceholderVolume[] = "\\\\?\\Volume{00000000-0000-0000-0000-000000000000}\\";

}  // namespace

absl::StatusOr<std::string> BuildHostedContainerDocument(const HostedContainerInput& input) {
  const std::string what = absl::StrCat("building hosted container document for ", input.spec.container_id);
  if (input.hosting_system_id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": no hosting system id"));
  }
  if (!input.spec.mounts.empty()) {
    return absl::UnimplementedError(
        absl::StrCat(what, ": mounts into Hyper-V isolated containers are not supported yet"));
  }
  if (!IsAbsoluteWindowsPath(input.container_root_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": container root path '", input.container_root_path, "' is not absolute"));
  }
  ContainerSpecInput spec = input.spec;
  spec.parent_layers.clear();
  for (const GuestLayer& layer : input.layers) spec.parent_layers.push_back({layer.id, layer.guest_path});
  spec.scratch_volume_path = kPlaceholderVolume;
  absl::StatusOr<schema::ComputeSystem> argon = BuildContainerDocument(spec);
  if (!argon.ok()) return argon.status();
  argon->container->storage->path = input.container_root_path;

  json doc = {{"Owner", argon->owner},
              {"SchemaVersion", {{"Major", 2}, {"Minor", 1}}},
              {"HostingSystemId", input.hosting_system_id},
              {"HostedSystem", {{"SchemaVersion", {{"Major", 2}, {"Minor", 1}}}, {"Container", *argon->container}}}};
  if (argon->should_terminate_on_last_handle_closed) doc["ShouldTerminateOnLastHandleClosed"] = true;
  return Serialize(doc);
}

}  // namespace silo::runtime::windows::hypervisor
