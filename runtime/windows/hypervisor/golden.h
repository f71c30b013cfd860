#pragma once
// Test helper: compares a built HCS document with its golden JSON text
// structurally (key order free, every field and value exact) and prints both
// when they differ.

#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace silo::runtime::windows::hypervisor {

inline ::testing::AssertionResult MatchesGolden(const absl::StatusOr<std::string>& built, const char* golden) {
  if (!built.ok()) return ::testing::AssertionFailure() << "build failed: " << built.status();
  const nlohmann::json actual = nlohmann::json::parse(*built, nullptr, false);
  if (actual.is_discarded()) return ::testing::AssertionFailure() << "not JSON: " << *built;
  const nlohmann::json expected = nlohmann::json::parse(golden);
  if (actual == expected) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\n  built:  " << actual.dump(2) << "\n  golden: " << expected.dump(2);
}

}  // namespace silo::runtime::windows::hypervisor
