#include "runtime/windows/hypervisor/pod_vm_record.h"

#include <cerrno>
#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"

namespace silo::runtime::windows::hypervisor {
namespace {

using nlohmann::json;

constexpr char kSuffix[] = ".uvm.json";

json MountedToJson(const MountedLayers& m) {
  json shares = json::array();
  for (const MountedLayers::Share& s : m.shares) {
    shares.push_back({{"id", s.layer.id}, {"host_path", s.layer.host_path}, {"name", s.name}});
  }
  return {{"shares", std::move(shares)}, {"scratch", m.scratch_vhd_path}, {"lun", m.lun}};
}

absl::Status Bad(const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("utility VM record: ", what));
}

bool IsString(const json& j, const char* key) { return j.contains(key) && j[key].is_string(); }

absl::StatusOr<MountedLayers> MountedFromJson(const std::string& id, const json& j) {
  if (!j.is_object() || !j.contains("shares") || !j["shares"].is_array() || !IsString(j, "scratch") ||
      !j.contains("lun") || !j["lun"].is_number_unsigned()) {
    return Bad(absl::StrCat("container ", id, " lacks shares, scratch or lun"));
  }
  MountedLayers m;
  m.scratch_vhd_path = j["scratch"].get<std::string>();
  m.lun = j["lun"].get<uint32_t>();
  for (const json& s : j["shares"]) {
    if (!s.is_object() || !IsString(s, "id") || !IsString(s, "host_path") || !IsString(s, "name")) {
      return Bad(absl::StrCat("container ", id, " has a share without id, host_path or name"));
    }
    m.shares.push_back({{s["id"].get<std::string>(), s["host_path"].get<std::string>()}, s["name"].get<std::string>()});
  }
  return m;
}

}  // namespace

std::string PodVmRecordToJson(const PodVmRecord& r) {
  json adapters = json::array();
  for (const UvmEndpoint& e : r.vm.endpoints) adapters.push_back({{"adapter_id", e.adapter_id}, {"endpoint", e.hcn_endpoint}});
  json containers = json::object();
  for (const auto& [id, m] : r.containers) containers[id] = MountedToJson(m);
  json j = {{"vm_id", r.vm.document.vm_id},
            {"utility_vm_path", r.utility_vm_path},
            {"scratch", r.vm.document.scratch_vhd_path},
            {"namespace", r.vm.hcn_namespace},
            {"adapters", std::move(adapters)},
            {"containers", std::move(containers)}};
  return j.dump();
}

absl::StatusOr<PodVmRecord> ParsePodVmRecord(const std::string& text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Bad("not a JSON object");
  if (!IsString(j, "vm_id") || !IsString(j, "scratch") || !IsString(j, "utility_vm_path")) {
    return Bad("vm_id, scratch or utility_vm_path missing");
  }
  PodVmRecord r;
  r.vm.document.vm_id = j["vm_id"].get<std::string>();
  r.vm.document.scratch_vhd_path = j["scratch"].get<std::string>();
  r.vm.document.utility_vm_path = r.utility_vm_path = j["utility_vm_path"].get<std::string>();
  if (j.contains("namespace")) r.vm.hcn_namespace = j["namespace"];
  if (j.contains("adapters")) {
    if (!j["adapters"].is_array()) return Bad("adapters is not a list");
    for (const json& a : j["adapters"]) {
      if (!a.is_object() || !IsString(a, "adapter_id") || !a.contains("endpoint")) {
        return Bad("an adapter lacks adapter_id or endpoint");
      }
      r.vm.endpoints.push_back({a["adapter_id"].get<std::string>(), a["endpoint"]});
    }
  }
  if (j.contains("containers")) {
    if (!j["containers"].is_object()) return Bad("containers is not an object");
    for (const auto& [id, m] : j["containers"].items()) {
      SILO_ASSIGN_OR_RETURN(r.containers[id], MountedFromJson(id, m));
    }
  }
  return r;
}

std::string PodVmRecordPath(const std::string& state_dir, const std::string& sandbox_id) {
  return absl::StrCat(state_dir, "/", sandbox_id, kSuffix);
}

absl::Status SavePodVmRecord(const std::string& state_dir, const std::string& sandbox_id, const PodVmRecord& record) {
  SILO_RETURN_IF_ERROR(MakeDirs(state_dir, 0700));
  return AtomicWriteFile(PodVmRecordPath(state_dir, sandbox_id), PodVmRecordToJson(record), 0600);
}

absl::StatusOr<PodVmRecord> LoadPodVmRecord(const std::string& state_dir, const std::string& sandbox_id) {
  SILO_ASSIGN_OR_RETURN(std::string text, ReadFile(PodVmRecordPath(state_dir, sandbox_id)));
  absl::StatusOr<PodVmRecord> r = ParsePodVmRecord(text);
  if (!r.ok()) return Annotate(r.status(), absl::StrCat("sandbox ", sandbox_id));
  return r;
}

absl::Status DeletePodVmRecord(const std::string& state_dir, const std::string& sandbox_id) {
  const std::string path = PodVmRecordPath(state_dir, sandbox_id);
  if (std::remove(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoToStatus(errno, absl::StrCat("remove ", path));
  }
  return absl::OkStatus();
}

}  // namespace silo::runtime::windows::hypervisor
