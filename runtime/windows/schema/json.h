#pragma once
// JSON encoding of the HCS schema structs with hcsshim's exact field names.
// A field is left out exactly when Go's encoding/json would leave it out of
// hcsshim's struct: `omitempty` drops "", 0, false, empty slices and maps,
// and absent (nil) pointers, here std::nullopt. Objects come out with sorted
// keys (nlohmann's default map), which HCS does not care about.
//
// The to_json overloads live in the types' namespace so nlohmann finds them
// by ADL: `nlohmann::json j = compute_system;` works anywhere this is included.

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "runtime/windows/schema/compute_system.h"
#include "runtime/windows/schema/container.h"
#include "runtime/windows/schema/process_parameters.h"

namespace silo::runtime::windows::schema {

void to_json(nlohmann::json& j, const Version& v);
void to_json(nlohmann::json& j, const ComputeSystem& v);
void to_json(nlohmann::json& j, const GuestOs& v);
void to_json(nlohmann::json& j, const Layer& v);
void to_json(nlohmann::json& j, const Storage& v);
void to_json(nlohmann::json& j, const MappedDirectory& v);
void to_json(nlohmann::json& j, const MappedPipe& v);
void to_json(nlohmann::json& j, const Memory& v);
void to_json(nlohmann::json& j, const Processor& v);
void to_json(nlohmann::json& j, const Networking& v);
void to_json(nlohmann::json& j, const RegistryKey& v);
void to_json(nlohmann::json& j, const RegistryValue& v);
void to_json(nlohmann::json& j, const RegistryChanges& v);
void to_json(nlohmann::json& j, const Container& v);
void to_json(nlohmann::json& j, const ProcessParameters& v);

// HCS enum spellings ("AbsolutePath", "System", "DWord", ...).
const char* PathTypeName(PathType t);
const char* MappedPipePathTypeName(MappedPipePathType t);
const char* RegistryHiveName(RegistryHive h);
const char* RegistryValueTypeName(RegistryValueType t);

// Serialises a document; indent < 0 gives the compact form sent to HCS.
// Fails with InvalidArgument (never throws) if a string is not valid UTF-8.
absl::StatusOr<std::string> ToJsonString(const ComputeSystem& doc, int indent = -1);
absl::StatusOr<std::string> ToJsonString(const ProcessParameters& params, int indent = -1);

}  // namespace silo::runtime::windows::schema
