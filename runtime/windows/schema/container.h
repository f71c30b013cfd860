#pragma once
// HCS schema v2: the Container section of a compute-system document, for a
// process-isolated container. Mirrors hcsshim internal/hcs/schema2/
// container.go, guest_os.go, storage.go, layer.go, mapped_directory.go,
// mapped_pipe.go, processor.go, memory (v2Memory), networking.go and
// registry_*.go. Plain data; std::optional stands for Go's pointer fields
// (omitted when absent), empty strings/vectors/zero numbers/false are omitted
// like Go's `omitempty`.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace silo::runtime::windows::schema {

struct GuestOs {
  std::string host_name;  // "HostName"
};

// "PathType" / "HostPathType" of layers and mapped directories.
enum class PathType { kAbsolutePath, kVirtualSmbShareName };
// "HostPathType" of mapped pipes.
enum class MappedPipePathType { kAbsolutePath, kVirtualSmbPipeName };

// One read-only parent layer. Id is the layer GUID (NameToGuid of the layer
// folder's base name), Path its folder.
struct Layer {
  std::string id;    // "Id"
  std::string path;  // "Path"
  std::optional<PathType> path_type;  // "PathType"
};

struct Storage {
  std::vector<Layer> layers;  // "Layers": nearest parent first, base last
  std::string path;           // "Path": the scratch volume, \\?\Volume{GUID}\ .
};

struct MappedDirectory {
  std::string host_path;                   // "HostPath"
  std::optional<PathType> host_path_type;  // "HostPathType"
  std::string container_path;              // "ContainerPath"
  bool read_only = false;                  // "ReadOnly"
};

struct MappedPipe {
  std::string container_pipe_name;  // "ContainerPipeName": name without \\.\pipe\ .
  std::string host_path;            // "HostPath": full \\.\pipe\name on the host
  std::optional<MappedPipePathType> host_path_type;  // "HostPathType"
};

struct Memory {
  uint64_t size_in_mb = 0;  // "SizeInMB"
};

// Count, Maximum and Weight are mutually exclusive for HCS: set at most one.
struct Processor {
  int32_t count = 0;    // "Count": logical processors
  int32_t maximum = 0;  // "Maximum": 1..10000, hundredths of a percent of the host
  int32_t weight = 0;   // "Weight": 0..10000
};

struct Networking {
  bool allow_unqualified_dns_query = false;    // "AllowUnqualifiedDnsQuery"
  std::string dns_search_list;                 // "DnsSearchList": comma-joined
  std::string network_shared_container_name;   // "NetworkSharedContainerName"
  std::string namespace_id;                    // "Namespace": HCN namespace GUID
  std::vector<std::string> network_adapters;   // "NetworkAdapters"
};

enum class RegistryHive { kSystem, kSoftware, kSecurity, kSam };
enum class RegistryValueType {
  kNone,
  kString,
  kExpandedString,
  kMultiString,
  kBinary,
  kDWord,
  kQWord,
  kCustomType,
};

struct RegistryKey {
  std::optional<RegistryHive> hive;  // "Hive"
  std::string name;                  // "Name": path below the hive
  bool is_volatile = false;          // "Volatile"
};

// Exactly one of the *_value fields is meaningful, selected by type.
struct RegistryValue {
  std::optional<RegistryKey> key;          // "Key"
  std::string name;                        // "Name"
  std::optional<RegistryValueType> type;   // "Type"
  std::string string_value;                // "StringValue"
  uint32_t dword_value = 0;                // "DWordValue"
  uint64_t qword_value = 0;                // "QWordValue"
};

struct RegistryChanges {
  std::vector<RegistryValue> add_values;  // "AddValues"
  std::vector<RegistryKey> delete_keys;   // "DeleteKeys"
};

struct Container {
  std::optional<GuestOs> guest_os;                   // "GuestOs"
  std::optional<Storage> storage;                    // "Storage"
  std::vector<MappedDirectory> mapped_directories;   // "MappedDirectories"
  std::vector<MappedPipe> mapped_pipes;              // "MappedPipes"
  std::optional<Memory> memory;                      // "Memory"
  std::optional<Processor> processor;                // "Processor"
  std::optional<Networking> networking;              // "Networking"
  std::optional<RegistryChanges> registry_changes;   // "RegistryChanges"
};

}  // namespace silo::runtime::windows::schema
