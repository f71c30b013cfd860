#pragma once
// Shared JSON helpers for the persisted records. Internal to runtime/model.
//
// Serialized protobuf configs are binary, and nlohmann::json refuses to dump
// strings that are not UTF-8, so bytes travel as base64.

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace silo::runtime::model::internal {

std::string BytesToJson(const std::string& bytes);
absl::StatusOr<std::string> BytesFromJson(const nlohmann::json& value, const char* field);

// Copies a JSON object of strings into a map; a missing field is an empty map.
std::map<std::string, std::string> StringMapFromJson(const nlohmann::json& j, const char* field);

}  // namespace silo::runtime::model::internal
