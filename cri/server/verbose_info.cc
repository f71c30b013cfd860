#include "cri/server/verbose_info.h"

#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace silo::cri {
namespace {

// A CRI config message as JSON with the proto field names, as containerd
// prints them; null if it cannot be read back.
template <typename Message>
nlohmann::json ConfigJson(const absl::StatusOr<Message>& config) {
  if (!config.ok()) return nullptr;
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(*config, &text, options).ok()) return nullptr;
  return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
}

// Silod's own record (snake_case keys), which the containerd-style keys join;
// `config` becomes the CRI message instead of its serialized form.
nlohmann::json RecordJson(const std::string& text) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  return doc.is_object() ? doc : nlohmann::json::object();
}

}  // namespace

std::string ContainerVerboseInfo(const runtime::model::ContainerRecord& record,
                                 const absl::StatusOr<std::string>& runtime_spec) {
  nlohmann::json info = RecordJson(runtime::model::ContainerToJsonString(record));
  info.update(nlohmann::json{
      {"sandboxID", record.sandbox_id},
      {"pid", record.pid},
      {"imageRef", record.image_ref},
      {"imageID", record.image_id},
      {"logPath", record.log_path},
      {"runtimeHandler", record.runtime_handler},
      {"runtimeType", record.handler_type},
      {"config", ConfigJson(record.Config())},
      {"runtimeSpec", nullptr},
  });
  if (runtime_spec.ok()) {
    info["runtimeSpec"] = nlohmann::json::parse(*runtime_spec, nullptr, /*allow_exceptions=*/false);
  } else {
    info["runtimeSpecError"] = std::string(runtime_spec.status().message());
  }
  return info.dump();
}

std::string SandboxVerboseInfo(const runtime::model::SandboxRecord& record) {
  const nlohmann::json& data = record.platform_data;
  nlohmann::json info = RecordJson(runtime::model::SandboxToJsonString(record));
  info.update(nlohmann::json{
      {"runtimeHandler", record.runtime_handler},
      {"runtimeType", record.handler_type},
      {"netNamespacePath", record.netns_path},
      {"netNamespaceClosed", record.state != runtime::model::SandboxState::kReady},
      {"cgroupPath", record.cgroup_path},
      {"logDirectory", record.log_directory},
      {"config", ConfigJson(record.Config())},
      // Host-network pods have no CNI attachment.
      {"cniResult", data.is_object() && data.contains("cni_result") ? data["cni_result"] : nlohmann::json(nullptr)},
  });
  return info.dump();
}

}  // namespace silo::cri
