#include "runtime/model/sandbox.h"

#include <utility>

#include "cri/api/cri.h"
#include "absl/strings/str_cat.h"
#include "runtime/base/status_macros.h"
#include "runtime/model/record_json.h"

namespace silo::runtime::model {

namespace {
constexpr int kSandboxJsonVersion = 1;
}  // namespace

const char* SandboxStateName(SandboxState state) {
  switch (state) {
    case SandboxState::kCreating: return "CREATING";
    case SandboxState::kReady: return "READY";
    case SandboxState::kNotReady: return "NOTREADY";
    case SandboxState::kUnknown: return "UNKNOWN";
  }
  return "INVALID";
}

absl::StatusOr<SandboxState> ParseSandboxState(absl::string_view name) {
  for (SandboxState s : {SandboxState::kCreating, SandboxState::kReady, SandboxState::kNotReady,
                         SandboxState::kUnknown}) {
    if (name == SandboxStateName(s)) return s;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown sandbox state '", name, "'"));
}

absl::Status ValidateSandboxTransition(SandboxState from, SandboxState to) {
  if (from == to) return absl::OkStatus();
  bool ok = false;
  switch (from) {
    case SandboxState::kCreating:
      ok = to == SandboxState::kReady || to == SandboxState::kNotReady ||
           to == SandboxState::kUnknown;
      break;
    case SandboxState::kReady:
      ok = to == SandboxState::kNotReady || to == SandboxState::kUnknown;
      break;
    case SandboxState::kUnknown:
      ok = to == SandboxState::kNotReady;
      break;
    case SandboxState::kNotReady:
      ok = false;  // a stopped sandbox is never restarted; kubelet makes a new one
      break;
  }
  if (ok) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("sandbox cannot go from ",
                                                    SandboxStateName(from), " to ",
                                                    SandboxStateName(to)));
}

absl::Status ValidateSandboxRemoval(SandboxState state) {
  if (state == SandboxState::kNotReady) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("sandbox in state ", SandboxStateName(state), " must be stopped before removal"));
}

::runtime::v1::PodSandboxState ToCri(SandboxState state) {
  return state == SandboxState::kReady ? ::runtime::v1::SANDBOX_READY
                                       : ::runtime::v1::SANDBOX_NOTREADY;
}

void SandboxRecord::SetConfig(const ::runtime::v1::PodSandboxConfig& c) {
  config = c.SerializeAsString();
}

absl::StatusOr<::runtime::v1::PodSandboxConfig> SandboxRecord::Config() const {
  ::runtime::v1::PodSandboxConfig c;
  if (!c.ParseFromString(config)) {
    return absl::InvalidArgumentError(
        absl::StrCat("sandbox ", id, ": stored PodSandboxConfig does not parse"));
  }
  return c;
}

bool SandboxRecord::HasStep(absl::string_view name) const {
  for (const SetupStep& s : steps) {
    if (s.name == name) return true;
  }
  return false;
}

void SandboxRecord::AddStep(std::string name, std::string data, int64_t done_at_ns) {
  steps.push_back({std::move(name), std::move(data), done_at_ns});
}

bool operator==(const SandboxMetadata& a, const SandboxMetadata& b) {
  return a.name == b.name && a.namespace_ == b.namespace_ && a.uid == b.uid &&
         a.attempt == b.attempt;
}

bool operator==(const SetupStep& a, const SetupStep& b) {
  return a.name == b.name && a.data == b.data && a.done_at_ns == b.done_at_ns;
}

bool operator==(const SandboxRecord& a, const SandboxRecord& b) {
  return a.id == b.id && a.metadata == b.metadata && a.runtime_handler == b.runtime_handler &&
         a.handler_type == b.handler_type && a.requested_handler == b.requested_handler &&
         a.labels == b.labels && a.annotations == b.annotations &&
         a.created_at_ns == b.created_at_ns && a.state == b.state &&
         a.netns_path == b.netns_path && a.ip == b.ip && a.additional_ips == b.additional_ips &&
         a.cgroup_parent == b.cgroup_parent && a.cgroup_path == b.cgroup_path &&
         a.hostname == b.hostname && a.log_directory == b.log_directory &&
         a.config == b.config && a.steps == b.steps && a.platform_data == b.platform_data;
}

nlohmann::json SandboxToJson(const SandboxRecord& r) {
  nlohmann::json steps = nlohmann::json::array();
  for (const SetupStep& s : r.steps) {
    steps.push_back({{"name", s.name}, {"data", s.data}, {"done_at_ns", s.done_at_ns}});
  }
  return {
      {"version", kSandboxJsonVersion},
      {"id", r.id},
      {"metadata",
       {{"name", r.metadata.name},
        {"namespace", r.metadata.namespace_},
        {"uid", r.metadata.uid},
        {"attempt", r.metadata.attempt}}},
      {"runtime_handler", r.runtime_handler},
      {"handler_type", r.handler_type},
      {"requested_handler", r.requested_handler},
      {"labels", r.labels},
      {"annotations", r.annotations},
      {"created_at_ns", r.created_at_ns},
      {"state", SandboxStateName(r.state)},
      {"netns_path", r.netns_path},
      {"ip", r.ip},
      {"additional_ips", r.additional_ips},
      {"cgroup_parent", r.cgroup_parent},
      {"cgroup_path", r.cgroup_path},
      {"hostname", r.hostname},
      {"log_directory", r.log_directory},
      {"config", internal::BytesToJson(r.config)},
      {"steps", std::move(steps)},
      {"platform_data", r.platform_data},
  };
}

namespace {

absl::StatusOr<SandboxRecord> SandboxFromJsonOrThrow(const nlohmann::json& j) {
  SandboxRecord r;
  r.id = j.at("id").get<std::string>();
  if (r.id.empty()) return absl::InvalidArgumentError("sandbox record has an empty id");
  const nlohmann::json& m = j.at("metadata");
  r.metadata.name = m.value("name", "");
  r.metadata.namespace_ = m.value("namespace", "");
  r.metadata.uid = m.value("uid", "");
  r.metadata.attempt = m.value("attempt", 0u);
  r.runtime_handler = j.value("runtime_handler", "");
  r.handler_type = j.value("handler_type", "");
  r.requested_handler = j.value("requested_handler", r.runtime_handler);
  r.labels = internal::StringMapFromJson(j, "labels");
  r.annotations = internal::StringMapFromJson(j, "annotations");
  r.created_at_ns = j.value("created_at_ns", int64_t{0});
  SILO_ASSIGN_OR_RETURN(r.state, ParseSandboxState(j.at("state").get<std::string>()));
  r.netns_path = j.value("netns_path", "");
  r.ip = j.value("ip", "");
  r.additional_ips = j.value("additional_ips", std::vector<std::string>{});
  r.cgroup_parent = j.value("cgroup_parent", "");
  r.cgroup_path = j.value("cgroup_path", "");
  r.hostname = j.value("hostname", "");
  r.log_directory = j.value("log_directory", "");
  if (j.contains("config")) {
    SILO_ASSIGN_OR_RETURN(r.config, internal::BytesFromJson(j.at("config"), "config"));
  }
  if (j.contains("steps")) {
    for (const nlohmann::json& s : j.at("steps")) {
      r.steps.push_back({s.at("name").get<std::string>(), s.value("data", ""),
                         s.value("done_at_ns", int64_t{0})});
    }
  }
  if (j.contains("platform_data")) r.platform_data = j.at("platform_data");
  return r;
}

}  // namespace

absl::StatusOr<SandboxRecord> SandboxFromJson(const nlohmann::json& json) {
  try {
    return SandboxFromJsonOrThrow(json);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed sandbox record: ", e.what()));
  }
}

std::string SandboxToJsonString(const SandboxRecord& record) {
  // CRI strings are UTF-8 already (protobuf checks); replace rather than throw if not.
  return SandboxToJson(record).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<SandboxRecord> SandboxFromJsonString(absl::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError("sandbox record is not valid JSON");
  return SandboxFromJson(j);
}

}  // namespace silo::runtime::model
