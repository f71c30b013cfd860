#include "runtime/windows/container_document.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/base/status_macros.h"
#include "nlohmann/json.hpp"
#include "runtime/windows/command_line.h"

namespace silo::runtime::windows {
namespace {

constexpr absl::string_view kPipePrefix = "\\\\.\\pipe\\";
constexpr int64_t kMiB = 1024 * 1024;
constexpr int64_t kMaxCpuMaximum = 10000;
constexpr int64_t kMaxCpuWeight = 10000;

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

bool IsGuid(absl::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !IsHex(s[i])) return false;
  }
  return true;
}

bool IsDriveAbsolute(absl::string_view p) {
  return p.size() >= 3 && absl::ascii_isalpha(static_cast<unsigned char>(p[0])) && p[1] == ':' &&
         (p[2] == '\\' || p[2] == '/');
}

// Drive-absolute (C:\x), UNC (\\server\share) or device (\\?\...) paths.
bool IsAbsoluteHostPath(absl::string_view p) {
  return IsDriveAbsolute(p) || (p.size() > 2 && p[0] == '\\' && p[1] == '\\');
}

bool HasNul(absl::string_view s) { return s.find('\0') != absl::string_view::npos; }

bool IsPipePath(absl::string_view p) { return absl::StartsWithIgnoreCase(p, kPipePrefix); }

// "\\?\Volume{GUID}\" (hcsshim also tolerates a missing trailing backslash).
absl::StatusOr<std::string> NormalizeVolumePath(const std::string& path) {
  constexpr absl::string_view kPrefix = "\\\\?\\Volume{";
  std::string p = path;
  if (!p.empty() && p.back() != '\\') p.push_back('\\');
  const absl::string_view v(p);
  if (!absl::StartsWith(v, kPrefix) || v.size() != kPrefix.size() + 36 + 2 ||
      !IsGuid(v.substr(kPrefix.size(), 36)) || v[v.size() - 2] != '}') {
    return absl::InvalidArgumentError(absl::StrCat(
        "scratch path '", path, "' must be a volume GUID path of the form \\\\?\\Volume{GUID}\\"));
  }
  return p;
}

absl::Status CheckNonNegative(int64_t value, absl::string_view field) {
  if (value < 0) {
    return absl::InvalidArgumentError(absl::StrCat("resources.", field, " is negative: ", value));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<schema::Processor>> BuildProcessor(
    const ::runtime::v1::WindowsContainerResources& r, int32_t host_cpu_count) {
  SILO_RETURN_IF_ERROR(CheckNonNegative(r.cpu_count(), "cpu_count"));
  SILO_RETURN_IF_ERROR(CheckNonNegative(r.cpu_maximum(), "cpu_maximum"));
  SILO_RETURN_IF_ERROR(CheckNonNegative(r.cpu_shares(), "cpu_shares"));
  schema::Processor p;
  if (r.cpu_count() > 0) {
    int64_t count = r.cpu_count();
    if (host_cpu_count > 0) count = std::min<int64_t>(count, host_cpu_count);
    p.count = static_cast<int32_t>(std::min<int64_t>(count, INT32_MAX));
  } else if (r.cpu_maximum() > 0) {
    p.maximum = static_cast<int32_t>(std::min(r.cpu_maximum(), kMaxCpuMaximum));
  } else if (r.cpu_shares() > 0) {
    p.weight = static_cast<int32_t>(std::min(r.cpu_shares(), kMaxCpuWeight));
  } else {
    return std::optional<schema::Processor>();
  }
  return std::optional<schema::Processor>(p);
}

absl::Status AddMount(const ContainerSpecInput& input, const ::runtime::v1::Mount& m,
                      schema::Container& c) {
  const std::string& host = m.host_path();
  const std::string& dest = m.container_path();
  const std::string what = absl::StrCat("mount '", host, "' -> '", dest, "'");
  if (HasNul(host) || HasNul(dest)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": path contains a NUL byte"));
  }
  if (IsPipePath(host) || IsPipePath(dest)) {
    if (!IsPipePath(host) || !IsPipePath(dest) || dest.size() == kPipePrefix.size() ||
        host.size() == kPipePrefix.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": a named-pipe mount needs \\\\.\\pipe\\<name> as both host and container path"));
    }
    schema::MappedPipe pipe;
    pipe.container_pipe_name = dest.substr(kPipePrefix.size());
    pipe.host_path = host;
    c.mapped_pipes.push_back(std::move(pipe));
    return absl::OkStatus();
  }
  if (!IsDriveAbsolute(dest)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": container path must be absolute with a drive letter (C:\\...)"));
  }
  if (!IsAbsoluteHostPath(host)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": host path must be absolute"));
  }
  std::string resolved = host;
  if (input.resolve_host_path) {
    absl::StatusOr<std::string> r = input.resolve_host_path(host);
    if (!r.ok()) return silo::Annotate(r.status(), absl::StrCat(what, ": resolving host path"));
    resolved = *std::move(r);
  }
  schema::MappedDirectory dir;
  dir.host_path = std::move(resolved);
  dir.container_path = dest;
  dir.read_only = m.readonly();
  c.mapped_directories.push_back(std::move(dir));
  return absl::OkStatus();
}

absl::StatusOr<schema::ComputeSystem> Build(const ContainerSpecInput& input) {
  schema::Container c;

  if (!input.hostname.empty()) c.guest_os = schema::GuestOs{input.hostname};

  if (input.parent_layers.empty()) {
    return absl::InvalidArgumentError("no parent layers (a Windows image has at least its base)");
  }
  schema::Storage storage;
  for (const LayerRef& layer : input.parent_layers) {
    if (!IsGuid(layer.id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("layer '", layer.path, "': id '", layer.id, "' is not a GUID"));
    }
    if (!IsAbsoluteHostPath(layer.path) || HasNul(layer.path)) {
      return absl::InvalidArgumentError(
          absl::StrCat("layer '", layer.path, "': path must be absolute"));
    }
    storage.layers.push_back(schema::Layer{layer.id, layer.path, std::nullopt});
  }
  SILO_ASSIGN_OR_RETURN(storage.path, NormalizeVolumePath(input.scratch_volume_path));
  c.storage = std::move(storage);

  for (const ::runtime::v1::Mount& m : input.mounts) {
    SILO_RETURN_IF_ERROR(AddMount(input, m, c));
  }

  const auto& r = input.resources;
  SILO_RETURN_IF_ERROR(CheckNonNegative(r.memory_limit_in_bytes(), "memory_limit_in_bytes"));
  if (r.memory_limit_in_bytes() > 0) {
    const uint64_t bytes = static_cast<uint64_t>(r.memory_limit_in_bytes());
    c.memory = schema::Memory{(bytes + kMiB - 1) / kMiB};
  }
  SILO_ASSIGN_OR_RETURN(c.processor, BuildProcessor(r, input.host_cpu_count));
  SILO_RETURN_IF_ERROR(ScratchSizeBytes(r).status());
  if (r.affinity_cpus_size() > 0) {
    return absl::UnimplementedError(
        "resources.affinity_cpus is not supported for process-isolated containers: HCS takes no CPU "
        "affinity in the container document (it has to be set on the container's silo job object)");
  }

  if (!input.network_namespace.empty()) {
    if (!IsGuid(input.network_namespace)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "network namespace '", input.network_namespace, "' is not a GUID"));
    }
    schema::Networking net;
    net.namespace_id = input.network_namespace;
    net.allow_unqualified_dns_query = input.allow_unqualified_dns_query;
    net.dns_search_list = absl::StrJoin(input.dns_search, ",");
    c.networking = std::move(net);
  }

  if (input.wait_to_kill_service_timeout_ms.has_value()) {
    // HKLM\SYSTEM\CurrentControlSet\Control inside the container. The
    // container's hive is loaded offline, where CurrentControlSet (a
    // volatile link) does not exist, so hcsshim names ControlSet001.
    schema::RegistryValue value;
    value.key = schema::RegistryKey{schema::RegistryHive::kSystem, "ControlSet001\\Control", false};
    value.name = "WaitToKillServiceTimeout";
    value.type = schema::RegistryValueType::kString;  // REG_SZ, as Windows stores it
    value.string_value = std::to_string(*input.wait_to_kill_service_timeout_ms);
    c.registry_changes = schema::RegistryChanges{{std::move(value)}, {}};
  }

  schema::ComputeSystem doc;
  doc.owner = input.owner;
  doc.schema_version = schema::Version{2, 1};
  doc.container = std::move(c);
  doc.should_terminate_on_last_handle_closed = input.terminate_on_last_handle_closed;
  return doc;
}

}  // namespace

absl::StatusOr<schema::ComputeSystem> BuildContainerDocument(const ContainerSpecInput& input) {
  absl::StatusOr<schema::ComputeSystem> doc = Build(input);
  if (!doc.ok()) {
    return silo::Annotate(doc.status(),
                          absl::StrCat("building HCS document for container ", input.container_id));
  }
  return doc;
}

absl::StatusOr<uint64_t> ScratchSizeBytes(const ::runtime::v1::WindowsContainerResources& resources) {
  SILO_RETURN_IF_ERROR(CheckNonNegative(resources.rootfs_size_in_bytes(), "rootfs_size_in_bytes"));
  return static_cast<uint64_t>(resources.rootfs_size_in_bytes());
}

absl::StatusOr<std::vector<std::string>> BuildResourceUpdateRequests(
    const ::runtime::v1::WindowsContainerResources& r, int32_t host_cpu_count) {
  SILO_RETURN_IF_ERROR(CheckNonNegative(r.memory_limit_in_bytes(), "memory_limit_in_bytes"));
  // Creation picks one CPU field by precedence; a live update gets no such
  // grace, because a caller that sets two expects both to hold and HCS keeps
  // one limit (hcsshim's isValidWindowsCPUResources).
  const int cpu_fields = (r.cpu_count() != 0) + (r.cpu_maximum() != 0) + (r.cpu_shares() != 0);
  if (cpu_fields > 1) {
    return absl::InvalidArgumentError(
        "resources.cpu_count, cpu_maximum and cpu_shares are exclusive in an update: HCS applies one CPU limit");
  }
  if (r.rootfs_size_in_bytes() != 0) {
    return absl::UnimplementedError(
        "resources.rootfs_size_in_bytes cannot change on a running Windows container: the scratch is sized at "
        "creation");
  }
  if (r.affinity_cpus_size() > 0) {
    return absl::UnimplementedError(
        "resources.affinity_cpus cannot change on a running Windows container: HCS takes no CPU affinity");
  }
  std::vector<std::string> requests;
  auto request = [](const char* path, nlohmann::json settings) {
    return nlohmann::json{{"ResourcePath", path}, {"RequestType", "Update"}, {"Settings", std::move(settings)}}.dump();
  };
  if (r.memory_limit_in_bytes() > 0) {
    const uint64_t bytes = static_cast<uint64_t>(r.memory_limit_in_bytes());
    requests.push_back(request("Container/Memory/SizeInMB", (bytes + kMiB - 1) / kMiB));
  }
  SILO_ASSIGN_OR_RETURN(std::optional<schema::Processor> p, BuildProcessor(r, host_cpu_count));
  if (p.has_value()) {
    // Only the one field set: an absent field keeps HCS's current value,
    // a zero one would not.
    nlohmann::json settings = nlohmann::json::object();
    if (p->count > 0) settings["Count"] = p->count;
    if (p->maximum > 0) settings["Maximum"] = p->maximum;
    if (p->weight > 0) settings["Weight"] = p->weight;
    requests.push_back(request("Container/Processor", std::move(settings)));
  }
  return requests;
}

absl::StatusOr<schema::ProcessParameters> BuildProcessParameters(const ProcessInput& input) {
  schema::ProcessParameters p;
  SILO_ASSIGN_OR_RETURN(p.command_line,
                        input.args_escaped ? JoinEscapedCommandLine(input.args) : JoinCommandLine(input.args));
  for (const auto& [name, value] : input.env) {
    if (name.empty() || name.find('=') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("environment variable name '", name, "' is empty or contains '='"));
    }
    if (value.empty()) {
      p.environment.erase(name);  // a later empty value still unsets an earlier one
      continue;
    }
    p.environment[name] = value;
  }
  p.working_directory = input.working_directory;
  p.user = input.user;
  p.emulate_console = input.tty;
  p.create_std_in_pipe = input.open_stdin;
  p.create_std_out_pipe = true;
  p.create_std_err_pipe = !input.tty;
  if (input.tty && input.console_height > 0 && input.console_width > 0) {
    p.console_size = {input.console_height, input.console_width};
  }
  return p;
}

}  // namespace silo::runtime::windows
