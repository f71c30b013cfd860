#include "runtime/model/container.h"

#include "cri/api/cri.h"
#include "absl/strings/str_cat.h"
#include "runtime/base/status_macros.h"
#include "runtime/model/record_json.h"

namespace silo::runtime::model {

namespace {
constexpr int kContainerJsonVersion = 1;
}  // namespace

const char* ContainerStateName(ContainerState state) {
  switch (state) {
    case ContainerState::kCreated: return "CREATED";
    case ContainerState::kRunning: return "RUNNING";
    case ContainerState::kExited: return "EXITED";
    case ContainerState::kUnknown: return "UNKNOWN";
  }
  return "INVALID";
}

absl::Status ValidateContainerTransition(ContainerState from, ContainerState to) {
  if (from == to) return absl::OkStatus();
  bool ok = false;
  switch (from) {
    case ContainerState::kCreated:
      ok = true;  // to RUNNING, EXITED or UNKNOWN
      break;
    case ContainerState::kRunning:
      ok = to == ContainerState::kExited || to == ContainerState::kUnknown;
      break;
    case ContainerState::kUnknown:
      ok = to == ContainerState::kExited || to == ContainerState::kRunning;
      break;
    case ContainerState::kExited:
      ok = false;  // CRI containers are never restarted; kubelet creates a new attempt
      break;
  }
  if (ok) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("container cannot go from ",
                                                    ContainerStateName(from), " to ",
                                                    ContainerStateName(to)));
}

absl::Status ValidateContainerRemoval(ContainerState state) {
  if (state == ContainerState::kCreated || state == ContainerState::kExited) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "container in state ", ContainerStateName(state), " must be stopped before removal"));
}

::runtime::v1::ContainerState ToCri(ContainerState state) {
  switch (state) {
    case ContainerState::kCreated: return ::runtime::v1::CONTAINER_CREATED;
    case ContainerState::kRunning: return ::runtime::v1::CONTAINER_RUNNING;
    case ContainerState::kExited: return ::runtime::v1::CONTAINER_EXITED;
    case ContainerState::kUnknown: return ::runtime::v1::CONTAINER_UNKNOWN;
  }
  return ::runtime::v1::CONTAINER_UNKNOWN;
}

ContainerState ContainerRecord::State() const {
  if (unknown) return ContainerState::kUnknown;
  if (finished_at_ns != 0) return ContainerState::kExited;
  if (started_at_ns != 0) return ContainerState::kRunning;
  if (created_at_ns != 0) return ContainerState::kCreated;
  return ContainerState::kUnknown;
}

void ContainerRecord::SetConfig(const ::runtime::v1::ContainerConfig& c) {
  config = c.SerializeAsString();
}

absl::StatusOr<::runtime::v1::ContainerConfig> ContainerRecord::Config() const {
  ::runtime::v1::ContainerConfig c;
  if (!c.ParseFromString(config)) {
    return absl::InvalidArgumentError(
        absl::StrCat("container ", id, ": stored ContainerConfig does not parse"));
  }
  return c;
}

bool operator==(const ContainerRecord& a, const ContainerRecord& b) {
  return a.id == b.id && a.sandbox_id == b.sandbox_id && a.metadata.name == b.metadata.name &&
         a.metadata.attempt == b.metadata.attempt && a.image_ref == b.image_ref &&
         a.image_id == b.image_id && a.created_at_ns == b.created_at_ns &&
         a.started_at_ns == b.started_at_ns && a.finished_at_ns == b.finished_at_ns &&
         a.exit_code == b.exit_code && a.reason == b.reason && a.message == b.message &&
         a.unknown == b.unknown && a.labels == b.labels && a.annotations == b.annotations &&
         a.log_path == b.log_path && a.config == b.config && a.pid == b.pid &&
         a.host_handle == b.host_handle && a.runtime_handler == b.runtime_handler &&
         a.handler_type == b.handler_type && a.stop_signal == b.stop_signal;
}

nlohmann::json ContainerToJson(const ContainerRecord& r) {
  return {
      {"version", kContainerJsonVersion},
      {"id", r.id},
      {"sandbox_id", r.sandbox_id},
      {"metadata", {{"name", r.metadata.name}, {"attempt", r.metadata.attempt}}},
      {"image_ref", r.image_ref},
      {"image_id", r.image_id},
      {"created_at_ns", r.created_at_ns},
      {"started_at_ns", r.started_at_ns},
      {"finished_at_ns", r.finished_at_ns},
      {"exit_code", r.exit_code},
      {"reason", r.reason},
      {"message", r.message},
      {"unknown", r.unknown},
      {"labels", r.labels},
      {"annotations", r.annotations},
      {"log_path", r.log_path},
      {"config", internal::BytesToJson(r.config)},
      {"pid", r.pid},
      {"host_handle", r.host_handle},
      {"runtime_handler", r.runtime_handler},
      {"handler_type", r.handler_type},
      {"stop_signal", r.stop_signal},
  };
}

namespace {

absl::StatusOr<ContainerRecord> ContainerFromJsonOrThrow(const nlohmann::json& j) {
  ContainerRecord r;
  r.id = j.at("id").get<std::string>();
  if (r.id.empty()) return absl::InvalidArgumentError("container record has an empty id");
  r.sandbox_id = j.at("sandbox_id").get<std::string>();
  if (j.contains("metadata")) {
    r.metadata.name = j.at("metadata").value("name", "");
    r.metadata.attempt = j.at("metadata").value("attempt", 0u);
  }
  r.image_ref = j.value("image_ref", "");
  r.image_id = j.value("image_id", "");
  r.created_at_ns = j.value("created_at_ns", int64_t{0});
  r.started_at_ns = j.value("started_at_ns", int64_t{0});
  r.finished_at_ns = j.value("finished_at_ns", int64_t{0});
  r.exit_code = j.value("exit_code", int32_t{0});
  r.reason = j.value("reason", "");
  r.message = j.value("message", "");
  r.unknown = j.value("unknown", false);
  r.labels = internal::StringMapFromJson(j, "labels");
  r.annotations = internal::StringMapFromJson(j, "annotations");
  r.log_path = j.value("log_path", "");
  if (j.contains("config")) {
    SILO_ASSIGN_OR_RETURN(r.config, internal::BytesFromJson(j.at("config"), "config"));
  }
  r.pid = j.value("pid", int64_t{0});
  r.host_handle = j.contains("host_handle") ? j.value("host_handle", "") : j.value("shim_socket", "");
  r.runtime_handler = j.value("runtime_handler", "");
  r.handler_type = j.value("handler_type", "");
  r.stop_signal = j.value("stop_signal", "");
  return r;
}

}  // namespace

absl::StatusOr<ContainerRecord> ContainerFromJson(const nlohmann::json& json) {
  try {
    return ContainerFromJsonOrThrow(json);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed container record: ", e.what()));
  }
}

std::string ContainerToJsonString(const ContainerRecord& record) {
  return ContainerToJson(record).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<ContainerRecord> ContainerFromJsonString(absl::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError("container record is not valid JSON");
  return ContainerFromJson(j);
}

}  // namespace silo::runtime::model
