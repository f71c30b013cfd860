#pragma once
// The pod sandbox record: what silod knows about one pod and persists in the
// metadata database. Plain data plus a state machine; no I/O.
//
//   RunPodSandbox
//        |
//        v
//   +----------+  setup done  +-------+  StopPodSandbox  +----------+  RemovePodSandbox
//   | CREATING |------------->| READY |----------------->| NOTREADY |-----------------> (removed)
//   +----------+              +-------+                  +----------+
//     |      |                    |                        ^      ^
//     |      +--------------------|------------------------+      |
//     |        setup failed,      | stop failed                   |
//     |        undo done          v                               |
//     |                      +---------+  recovery or a later     |
//     +--------------------->| UNKNOWN |--------------------------+
//      setup and undo failed,+---------+  stop cleaned up
//      or crash in CREATING
//
// CREATING is written before the first side effect, and each completed setup
// step is appended to `steps`, so a crash at any point leaves enough to finish
// or undo the work at start-up. A transition to the same state is always
// allowed (a record may change within a state, e.g. gaining a step).
//
// Thread safety: plain values; callers synchronise (runtime/store does).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cri/api/cri_fwd.h"
#include "nlohmann/json.hpp"

namespace silo::runtime::model {

enum class SandboxState { kCreating, kReady, kNotReady, kUnknown };

// "CREATING", "READY", "NOTREADY", "UNKNOWN": the persisted spelling.
const char* SandboxStateName(SandboxState state);
absl::StatusOr<SandboxState> ParseSandboxState(absl::string_view name);

// OK when `from -> to` is on the diagram above (or from == to); otherwise
// FailedPrecondition naming both states.
absl::Status ValidateSandboxTransition(SandboxState from, SandboxState to);

// OK only for NOTREADY: a sandbox is stopped before it is removed.
absl::Status ValidateSandboxRemoval(SandboxState state);

// CRI has only READY and NOTREADY; every other state reports NOTREADY.
::runtime::v1::PodSandboxState ToCri(SandboxState state);

struct SandboxMetadata {
  std::string name;
  std::string namespace_;  // trailing _ because namespace is a keyword, as in protobuf
  std::string uid;
  uint32_t attempt = 0;
};

// One completed setup step, e.g. {"netns", "/run/netns/<id>"} or
// {"cni_attach", "<ip>"}; `data` is what undo or recovery needs.
struct SetupStep {
  std::string name;
  std::string data;
  int64_t done_at_ns = 0;
};

struct SandboxRecord {
  std::string id;
  SandboxMetadata metadata;
  // The runtime handler the pod runs on, as the registry resolved the
  // request (never "" for new records; "" in records written before, which
  // means the default handler), and its type, so a pod whose handler left
  // the config can still be stopped and removed.
  std::string runtime_handler;
  std::string handler_type;
  // The name RunPodSandbox was asked for (often ""), which the CRI reports
  // back; records from before it was kept have it in runtime_handler.
  std::string requested_handler;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  int64_t created_at_ns = 0;
  SandboxState state = SandboxState::kCreating;

  // Linux: pinned netns path; Windows: HCN namespace GUID. Empty for
  // host-network and HostProcess pods.
  std::string netns_path;
  std::string ip;                           // primary pod IP
  std::vector<std::string> additional_ips;  // e.g. the other IP family
  std::string cgroup_parent;
  std::string cgroup_path;  // the pod group: cgroup path or Job Object name
  std::string hostname;
  std::string log_directory;

  // The RunPodSandbox request's PodSandboxConfig, serialized, so status can
  // echo linux.security_context.namespace_options exactly as kubelet sent it.
  std::string config;

  std::vector<SetupStep> steps;

  // Opaque per-platform state (e.g. the pause compute system id on Windows);
  // the portable code stores it and never looks inside.
  nlohmann::json platform_data = nlohmann::json::object();

  // Stores `config` serialized.
  void SetConfig(const ::runtime::v1::PodSandboxConfig& config);
  // Parses `config`; InvalidArgument naming the sandbox if the bytes are bad.
  absl::StatusOr<::runtime::v1::PodSandboxConfig> Config() const;

  bool HasStep(absl::string_view name) const;
  // Appends a completed step (does not deduplicate: steps are a log).
  void AddStep(std::string name, std::string data, int64_t done_at_ns);

  friend bool operator==(const SandboxRecord& a, const SandboxRecord& b);
};

bool operator==(const SandboxMetadata& a, const SandboxMetadata& b);
bool operator==(const SetupStep& a, const SetupStep& b);

// JSON (de)serialisation. Parsing never throws: malformed input is
// InvalidArgument naming the field. Unknown fields are ignored so an older
// silod can read a newer record.
nlohmann::json SandboxToJson(const SandboxRecord& record);
absl::StatusOr<SandboxRecord> SandboxFromJson(const nlohmann::json& json);
std::string SandboxToJsonString(const SandboxRecord& record);
absl::StatusOr<SandboxRecord> SandboxFromJsonString(absl::string_view text);

}  // namespace silo::runtime::model
