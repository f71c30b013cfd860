// LinuxContainerHost: the container after creation (its runtime spec, OOM kills,
// live resource updates).
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"
#include "runtime/linux/container_spec.h"
#include "runtime/linux/linux_container_host.h"
#include "runtime/linux/cgroup_oom.h"
#include "runtime/linux/oci_spec.h"
#include "runtime/linux/runc.h"

namespace silo::runtime::linux_backend {
namespace {

// linux.cgroupsPath of the container's bundle; "" when it has none.
absl::StatusOr<std::string> CgroupsPath(const std::string& bundle) {
  SILO_ASSIGN_OR_RETURN(std::string text, ReadFile(bundle + "/config.json"));
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return absl::DataLossError(absl::StrCat(bundle, "/config.json is not a JSON object"));
  auto linux_it = doc.find("linux");
  if (linux_it == doc.end() || !linux_it->is_object()) return std::string();
  auto path = linux_it->find("cgroupsPath");
  return path != linux_it->end() && path->is_string() ? path->get<std::string>() : std::string();
}

}  // namespace

absl::StatusOr<std::string> LinuxContainerHost::RuntimeSpec(const std::string& id) {
  return ReadFile(BundleDir(id) + "/config.json");
}

absl::StatusOr<bool> LinuxContainerHost::OomKilled(const std::string& id) {
  SILO_ASSIGN_OR_RETURN(std::string cgroup, CgroupsPath(BundleDir(id)));
  // runc's default cgroup is named after the container under the root.
  if (cgroup.empty()) cgroup = "/" + id;
  SILO_ASSIGN_OR_RETURN(uint64_t kills, linux_backend::ReadOomKillCount(options_.cgroup_root, cgroup));
  return kills > 0;
}

absl::Status LinuxContainerHost::UpdateResources(const std::string& id, const std::string& /*handle*/,
                                                 const ::runtime::v1::LinuxContainerResources& resources) {
  SILO_ASSIGN_OR_RETURN(linux_backend::OciResources oci, ResourcesFromCri(resources));
  // runc reads the new limits from a file; it lives in the bundle so a
  // crash leaves nothing elsewhere.
  const std::string file = BundleDir(id) + "/update-resources.json";
  SILO_RETURN_IF_ERROR(AtomicWriteFile(file, linux_backend::BuildOciResources(oci).dump()));
  linux_backend::Runc runc(options_.runc_binary, options_.runc_root);
  auto result = runc.Run({"update", "--resources", file, id}, nullptr);
  ::unlink(file.c_str());
  if (!result.ok()) return Annotate(result.status(), absl::StrCat("runc update of container ", id));
  if (result->exit_code != 0) {
    return absl::InternalError(absl::StrCat("runc update of container ", id, " failed: ", result->error));
  }
  return absl::OkStatus();
}

}  // namespace silo::runtime::linux_backend
