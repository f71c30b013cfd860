#include "runtime/windows/schema/json.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace silo::runtime::windows::schema {
namespace {

using nlohmann::json;

// The helpers below encode Go's `omitempty`: each writes the field only when
// Go would, so call sites read as a list of hcsshim's field tags.
void PutString(json& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}

template <typename Int>
void PutNumber(json& j, const char* key, Int value) {
  if (value != 0) j[key] = value;
}

void PutBool(json& j, const char* key, bool value) {
  if (value) j[key] = true;
}

template <typename T>
void PutOptional(json& j, const char* key, const std::optional<T>& value) {
  if (value.has_value()) j[key] = *value;
}

template <typename T>
void PutVector(json& j, const char* key, const std::vector<T>& values) {
  if (!values.empty()) j[key] = values;
}

template <typename T>
absl::StatusOr<std::string> Dump(const T& value, int indent) {
  try {
    json j = value;
    return j.dump(indent);
  } catch (const json::exception& e) {
    // nlohmann throws type_error 316 on invalid UTF-8.
    return absl::InvalidArgumentError(absl::StrCat("encoding HCS document as JSON: ", e.what()));
  }
}

}  // namespace

const char* PathTypeName(PathType t) {
  switch (t) {
    case PathType::kAbsolutePath: return "AbsolutePath";
    case PathType::kVirtualSmbShareName: return "VirtualSmbShareName";
  }
  return "AbsolutePath";
}

const char* MappedPipePathTypeName(MappedPipePathType t) {
  switch (t) {
    case MappedPipePathType::kAbsolutePath: return "AbsolutePath";
    case MappedPipePathType::kVirtualSmbPipeName: return "VirtualSmbPipeName";
  }
  return "AbsolutePath";
}

const char* RegistryHiveName(RegistryHive h) {
  switch (h) {
    case RegistryHive::kSystem: return "System";
    case RegistryHive::kSoftware: return "Software";
    case RegistryHive::kSecurity: return "Security";
    case RegistryHive::kSam: return "Sam";
  }
  return "System";
}

const char* RegistryValueTypeName(RegistryValueType t) {
  switch (t) {
    case RegistryValueType::kNone: return "None";
    case RegistryValueType::kString: return "String";
    case RegistryValueType::kExpandedString: return "ExpandedString";
    case RegistryValueType::kMultiString: return "MultiString";
    case RegistryValueType::kBinary: return "Binary";
    case RegistryValueType::kDWord: return "DWord";
    case RegistryValueType::kQWord: return "QWord";
    case RegistryValueType::kCustomType: return "CustomType";
  }
  return "None";
}

void to_json(json& j, const Version& v) {
  j = json::object();
  PutNumber(j, "Major", v.major);
  PutNumber(j, "Minor", v.minor);
}

void to_json(json& j, const ComputeSystem& v) {
  j = json::object();
  PutString(j, "Owner", v.owner);
  PutOptional(j, "SchemaVersion", v.schema_version);
  PutString(j, "HostingSystemId", v.hosting_system_id);
  PutOptional(j, "Container", v.container);
  PutBool(j, "ShouldTerminateOnLastHandleClosed", v.should_terminate_on_last_handle_closed);
}

void to_json(json& j, const GuestOs& v) {
  j = json::object();
  PutString(j, "HostName", v.host_name);
}

void to_json(json& j, const Layer& v) {
  j = json::object();
  PutString(j, "Id", v.id);
  PutString(j, "Path", v.path);
  if (v.path_type) j["PathType"] = PathTypeName(*v.path_type);
}

void to_json(json& j, const Storage& v) {
  j = json::object();
  PutVector(j, "Layers", v.layers);
  PutString(j, "Path", v.path);
}

void to_json(json& j, const MappedDirectory& v) {
  j = json::object();
  PutString(j, "HostPath", v.host_path);
  if (v.host_path_type) j["HostPathType"] = PathTypeName(*v.host_path_type);
  PutString(j, "ContainerPath", v.container_path);
  PutBool(j, "ReadOnly", v.read_only);
}

void to_json(json& j, const MappedPipe& v) {
  j = json::object();
  PutString(j, "ContainerPipeName", v.container_pipe_name);
  PutString(j, "HostPath", v.host_path);
  if (v.host_path_type) j["HostPathType"] = MappedPipePathTypeName(*v.host_path_type);
}

void to_json(json& j, const Memory& v) {
  j = json::object();
  PutNumber(j, "SizeInMB", v.size_in_mb);
}

void to_json(json& j, const Processor& v) {
  j = json::object();
  PutNumber(j, "Count", v.count);
  PutNumber(j, "Maximum", v.maximum);
  PutNumber(j, "Weight", v.weight);
}

void to_json(json& j, const Networking& v) {
  j = json::object();
  PutBool(j, "AllowUnqualifiedDnsQuery", v.allow_unqualified_dns_query);
  PutString(j, "DnsSearchList", v.dns_search_list);
  PutString(j, "NetworkSharedContainerName", v.network_shared_container_name);
  PutString(j, "Namespace", v.namespace_id);
  PutVector(j, "NetworkAdapters", v.network_adapters);
}

void to_json(json& j, const RegistryKey& v) {
  j = json::object();
  if (v.hive) j["Hive"] = RegistryHiveName(*v.hive);
  PutString(j, "Name", v.name);
  PutBool(j, "Volatile", v.is_volatile);
}

void to_json(json& j, const RegistryValue& v) {
  j = json::object();
  PutOptional(j, "Key", v.key);
  PutString(j, "Name", v.name);
  if (v.type) j["Type"] = RegistryValueTypeName(*v.type);
  PutString(j, "StringValue", v.string_value);
  PutNumber(j, "DWordValue", v.dword_value);
  PutNumber(j, "QWordValue", v.qword_value);
}

void to_json(json& j, const RegistryChanges& v) {
  j = json::object();
  PutVector(j, "AddValues", v.add_values);
  PutVector(j, "DeleteKeys", v.delete_keys);
}

void to_json(json& j, const Container& v) {
  j = json::object();
  PutOptional(j, "GuestOs", v.guest_os);
  PutOptional(j, "Storage", v.storage);
  PutVector(j, "MappedDirectories", v.mapped_directories);
  PutVector(j, "MappedPipes", v.mapped_pipes);
  PutOptional(j, "Memory", v.memory);
  PutOptional(j, "Processor", v.processor);
  PutOptional(j, "Networking", v.networking);
  PutOptional(j, "RegistryChanges", v.registry_changes);
}

void to_json(json& j, const ProcessParameters& v) {
  j = json::object();
  PutString(j, "CommandLine", v.command_line);
  PutString(j, "User", v.user);
  PutString(j, "WorkingDirectory", v.working_directory);
  if (!v.environment.empty()) j["Environment"] = v.environment;
  PutBool(j, "EmulateConsole", v.emulate_console);
  PutBool(j, "CreateStdInPipe", v.create_std_in_pipe);
  PutBool(j, "CreateStdOutPipe", v.create_std_out_pipe);
  PutBool(j, "CreateStdErrPipe", v.create_std_err_pipe);
  PutVector(j, "ConsoleSize", v.console_size);
}

absl::StatusOr<std::string> ToJsonString(const ComputeSystem& doc, int indent) {
  return Dump(doc, indent);
}

absl::StatusOr<std::string> ToJsonString(const ProcessParameters& params, int indent) {
  return Dump(params, indent);
}

}  // namespace silo::runtime::windows::schema
