#pragma once
// The two envelopes every UVM change travels in, as hcsshim spells them:
//   - HcsModifyComputeSystem's ModifySettingRequest
//     (internal/hcs/schema2/modify_setting_request.go): {ResourcePath,
//     RequestType, Settings, GuestRequest}, every field omitempty;
//   - the guest half, ModificationRequest
//     (internal/protocol/guestrequest/types.go): {ResourceType, RequestType,
//     Settings}, which HCS relays to the guest agent over its GuestConnection.
// Plain functions over nlohmann::json; no I/O, thread-safe.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace silo::runtime::windows::hypervisor {

// guestrequest.RequestType values.
inline constexpr char kRequestAdd[] = "Add";
inline constexpr char kRequestRemove[] = "Remove";
inline constexpr char kRequestPreAdd[] = "PreAdd";

// A host-side change of the VM's devices. `settings` is left out when null.
nlohmann::json HostModify(absl::string_view request_type, absl::string_view resource_path,
                          nlohmann::json settings = nullptr);

// A guest ModificationRequest (no ResourcePath: HCS relays it unchanged).
nlohmann::json GuestModification(absl::string_view request_type, absl::string_view resource_type,
                                 nlohmann::json settings);

// {"GuestRequest": guest}: a change only the guest sees.
nlohmann::json GuestOnlyModify(nlohmann::json guest);

// Compact JSON for HcsModifyComputeSystem / HcsCreateComputeSystem.
// InvalidArgument (never throws) when a string is not valid UTF-8.
absl::StatusOr<std::string> Serialize(const nlohmann::json& document);

// 8-4-4-4-12 hex digits, no braces.
bool IsGuidString(absl::string_view s);

// Drive-absolute (C:\x) or UNC/device (\\...) Windows paths, without NULs.
bool IsAbsoluteWindowsPath(absl::string_view p);

}  // namespace silo::runtime::windows::hypervisor
