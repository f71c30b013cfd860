#include "tests/support/busybox_image.h"

#include <sys/wait.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "image/registry/manifest.h"
#include "image/registry/testing/oci_layout.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"

namespace silo::testing {
namespace {

using image::registry::Descriptor;
using image::registry::testing::LocalRegistry;
using image::registry::testing::OciLayout;

nlohmann::json DescriptorJson(const Descriptor& d) {
  return {{"mediaType", d.media_type}, {"digest", d.digest.String()}, {"size", d.size}};
}

}  // namespace

int Sh(const std::string& cmd) {
  int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

absl::Status BuildBusyboxImage(const std::string& layout_dir, const std::string& scratch,
                               const std::vector<std::string>& extra_env) {
  std::string root = scratch + "/rootfs";
  SILO_RETURN_IF_ERROR(MakeDirs(root + "/bin"));
  SILO_RETURN_IF_ERROR(MakeDirs(root + "/tmp"));
  // Executable copies: OciLayout's own tars write mode 0644 files.
  if (Sh(absl::StrCat("cp /bin/busybox ", root, "/bin/busybox && cp /bin/busybox ", root, "/bin/sh && tar -cf ",
                      scratch, "/layer.tar -C ", root, " .")) != 0) {
    return absl::InternalError("building the busybox layer failed");
  }
  SILO_ASSIGN_OR_RETURN(std::string tar, ReadFile(scratch + "/layer.tar"));
  OciLayout layout(layout_dir);
  SILO_ASSIGN_OR_RETURN(Descriptor layer, layout.AddBlob("application/vnd.oci.image.layer.v1.tar", tar));
  nlohmann::json env = {"PATH=/bin"};
  for (const auto& e : extra_env) env.push_back(e);
  nlohmann::json config = {{"architecture", "amd64"},
                           {"os", "linux"},
                           {"config", {{"Cmd", {"/bin/sh"}}, {"Env", env}}},
                           {"rootfs", {{"type", "layers"}, {"diff_ids", {layer.digest.String()}}}}};
  SILO_ASSIGN_OR_RETURN(Descriptor cfg, layout.AddBlob(std::string(image::registry::kOciConfig), config.dump()));
  nlohmann::json manifest = {{"schemaVersion", 2},
                             {"mediaType", std::string(image::registry::kOciManifest)},
                             {"config", DescriptorJson(cfg)},
                             {"layers", {DescriptorJson(layer)}}};
  SILO_ASSIGN_OR_RETURN(Descriptor m, layout.AddBlob(std::string(image::registry::kOciManifest), manifest.dump()));
  return layout.Tag(m, "v1");
}

absl::StatusOr<std::string> PushBusyboxImage(LocalRegistry* registry, const std::string& scratch_dir,
                                             const std::string& name) {
  SILO_RETURN_IF_ERROR(MakeDirs(scratch_dir + "/layout"));
  SILO_RETURN_IF_ERROR(MakeDirs(scratch_dir + "/build"));
  SILO_RETURN_IF_ERROR(BuildBusyboxImage(scratch_dir + "/layout", scratch_dir + "/build"));
  SILO_RETURN_IF_ERROR(registry->Push(scratch_dir + "/layout", "v1", name));
  return absl::StrCat(registry->host(), "/", name, ":v1");
}

}  // namespace silo::testing
