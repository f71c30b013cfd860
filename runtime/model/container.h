#pragma once
// The container record. As in containerd's store/container/status.go, the
// state is not stored: it is derived from the timestamps, so it can never
// disagree with them.
//
//   CreateContainer
//         |
//         v                StartContainer                 process exits or
//   +-----------+  started_at_ns set  +-----------+  StopContainer  +----------+  RemoveContainer
//   |  CREATED  |-------------------->|  RUNNING  |---------------->|  EXITED  |----------------> (removed)
//   +-----------+                     +-----------+                 +----------+
//     |  |                                  |                        ^   ^
//     |  +----------------------------------|------------------------+   |
//     |   start failed / stopped            |  shim lost               |
//     |   before start: finished_at_ns set   v                            |
//     |                               +-----------+  exit found later    |
//     +------------------------------>|  UNKNOWN  |---------------------+
//       shim lost                     +-----------+  (finished_at_ns set)
//
//   finished_at_ns != 0 -> EXITED, else started_at_ns != 0 -> RUNNING,
//   else created_at_ns != 0 -> CREATED; `unknown` (set when silod cannot
//   reach the container's shim) or no timestamp at all -> UNKNOWN.
//   UNKNOWN -> RUNNING is also allowed: the shim answered again after a
//   restart of silod.
//
// Thread safety: plain values; callers synchronise (runtime/store does).

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cri/api/cri_fwd.h"
#include "nlohmann/json.hpp"

namespace silo::runtime::model {

enum class ContainerState { kCreated, kRunning, kExited, kUnknown };

// "CREATED", "RUNNING", "EXITED", "UNKNOWN".
const char* ContainerStateName(ContainerState state);

// OK when `from -> to` is on the diagram above (or from == to); otherwise
// FailedPrecondition naming both states.
absl::Status ValidateContainerTransition(ContainerState from, ContainerState to);

// OK for CREATED and EXITED. RUNNING and UNKNOWN containers are stopped
// first (which makes them EXITED); FailedPrecondition otherwise.
absl::Status ValidateContainerRemoval(ContainerState state);

::runtime::v1::ContainerState ToCri(ContainerState state);

struct ContainerMetadata {
  std::string name;
  uint32_t attempt = 0;
};

struct ContainerRecord {
  std::string id;
  std::string sandbox_id;
  ContainerMetadata metadata;
  std::string image_ref;  // the image as the request named it
  std::string image_id;   // the resolved image id (config digest)
  int64_t created_at_ns = 0;
  int64_t started_at_ns = 0;
  int64_t finished_at_ns = 0;
  int32_t exit_code = 0;
  std::string reason;   // e.g. "Completed", "Error", "OOMKilled"
  std::string message;
  bool unknown = false;  // the shim could not be reached; state is a guess
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::string log_path;  // absolute: sandbox log_directory + config log_path
  std::string config;    // the ContainerConfig, serialized
  int64_t pid = 0;
  // What the container's host names it by (ContainerHost::Create's result):
  // the shim's socket on Linux, the HCS system id on Windows. Stored as
  // "shim_socket" by silod before handlers existed, which still loads.
  std::string host_handle;
  // The runtime handler the container runs on: its sandbox's, resolved at
  // creation ("" in records written before handlers were recorded: the
  // default handler).
  std::string runtime_handler;
  std::string handler_type;
  // The image's StopSignal as written ("SIGQUIT", "3"); "" = SIGTERM.
  // Records stored before it existed load with "".
  std::string stop_signal;

  ContainerState State() const;

  void SetConfig(const ::runtime::v1::ContainerConfig& config);
  absl::StatusOr<::runtime::v1::ContainerConfig> Config() const;

  friend bool operator==(const ContainerRecord& a, const ContainerRecord& b);
};

// JSON (de)serialisation; parsing never throws and ignores unknown fields.
nlohmann::json ContainerToJson(const ContainerRecord& record);
absl::StatusOr<ContainerRecord> ContainerFromJson(const nlohmann::json& json);
std::string ContainerToJsonString(const ContainerRecord& record);
absl::StatusOr<ContainerRecord> ContainerFromJsonString(absl::string_view text);

}  // namespace silo::runtime::model
