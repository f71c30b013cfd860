#pragma once
// HCS schema v2: the top-level compute-system document passed to
// HcsCreateComputeSystem. Plain data mirroring hcsshim's
// internal/hcs/schema2/compute_system.go and version.go; no behaviour.
// Serialise with to_json (schema/json.h), which omits fields the way Go's
// `omitempty` does, so a value left at its default never reaches HCS.

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/windows/schema/container.h"

namespace silo::runtime::windows::schema {

// {"Major":2,"Minor":1} for a process-isolated (Argon) container.
struct Version {
  uint32_t major = 0;  // "Major", omitted when 0
  uint32_t minor = 0;  // "Minor", omitted when 0
};

struct ComputeSystem {
  std::string owner;                    // "Owner"
  std::optional<Version> schema_version;  // "SchemaVersion"
  std::string hosting_system_id;        // "HostingSystemId" (UVM-hosted only)
  std::optional<Container> container;   // "Container"
  // "ShouldTerminateOnLastHandleClosed": HCS kills the system when the last
  // handle to it closes. Omitted when false.
  bool should_terminate_on_last_handle_closed = false;
};

}  // namespace silo::runtime::windows::schema
