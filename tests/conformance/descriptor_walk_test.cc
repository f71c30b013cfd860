// Every field of the pod and container configs that kubelet can send to a
// Linux node is either exercised by a conformance test (declared with
// SILO_EXERCISES and checked at the end of that test to have been sent set)
// or listed in README.md's "Accepted but ignored" table with a reason.
// Needs no root: it reads descriptors, the declarations and the README.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cri/api/cri.h"
#include "gtest/gtest.h"
#include "runtime/base/file_util.h"
#include "tests/conformance/exercised_fields.h"
#include "tests/support/build_paths.h"

namespace silo::testing::conformance {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::FieldDescriptor;

constexpr const char* kWalkedMessages[] = {
    "PodSandboxConfig",           "ContainerConfig",
    "LinuxPodSandboxConfig",      "LinuxContainerConfig",
    "LinuxSandboxSecurityContext", "LinuxContainerSecurityContext",
    "NamespaceOption",            "Capability",
};

const FieldDescriptor* FindField(const std::string& name) {
  std::vector<std::string> parts = absl::StrSplit(name, '.');
  if (parts.size() != 2) return nullptr;
  const Descriptor* d = DescriptorPool::generated_pool()->FindMessageTypeByName("runtime.v1." + parts[0]);
  return d == nullptr ? nullptr : d->FindFieldByName(parts[1]);
}

// The README's "Accepted but ignored" rows: field -> reason.
std::map<std::string, std::string> IgnoredFields() {
  std::map<std::string, std::string> out;
  auto text = ReadFile(SourceDir() + "/tests/conformance/README.md");
  EXPECT_TRUE(text.ok()) << text.status();
  if (!text.ok()) return out;
  bool in_section = false;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    if (absl::StartsWith(line, "## ")) in_section = line == "## Accepted but ignored";
    if (!in_section || !absl::ConsumePrefix(&line, "| `")) continue;
    std::vector<std::string> cells = absl::StrSplit(line, '|');
    if (cells.size() < 2) continue;
    std::string field(absl::StripSuffix(absl::StripAsciiWhitespace(cells[0]), "`"));
    out[field] = std::string(absl::StripAsciiWhitespace(cells[1]));
  }
  return out;
}

std::set<std::string> RegisteredTests() {
  std::set<std::string> out;
  const auto* unit = ::testing::UnitTest::GetInstance();
  for (int i = 0; i < unit->total_test_suite_count(); ++i) {
    const auto* suite = unit->GetTestSuite(i);
    for (int j = 0; j < suite->total_test_count(); ++j) {
      out.insert(absl::StrCat(suite->name(), ".", suite->GetTestInfo(j)->name()));
    }
  }
  return out;
}

TEST(ConformanceCoverage, DeclarationsNameRealTestsAndFields) {
  std::set<std::string> tests = RegisteredTests();
  ASSERT_FALSE(AllDeclarations().empty());
  for (const auto& [test, fields] : AllDeclarations()) {
    EXPECT_TRUE(tests.contains(test)) << "a declaration names no test: " << test;
    for (const auto& f : fields) EXPECT_NE(FindField(f), nullptr) << test << " declares unknown field " << f;
  }
}

TEST(ConformanceCoverage, IgnoredFieldsAreRealAndGiveAReason) {
  std::map<std::string, std::string> ignored = IgnoredFields();
  ASSERT_FALSE(ignored.empty()) << "README.md has no \"Accepted but ignored\" table";
  std::set<std::string> exercised;
  for (const auto& [test, fields] : AllDeclarations()) exercised.insert(fields.begin(), fields.end());
  for (const auto& [field, reason] : ignored) {
    EXPECT_NE(FindField(field), nullptr) << "README lists unknown field " << field;
    EXPECT_GE(reason.size(), 20u) << field << ": the reason must say why (got \"" << reason << "\")";
    EXPECT_FALSE(exercised.contains(field)) << field << " is both exercised and listed as ignored";
  }
}

TEST(ConformanceCoverage, EveryLinuxConfigFieldIsExercisedOrDocumentedAsIgnored) {
  std::map<std::string, std::string> ignored = IgnoredFields();
  std::set<std::string> exercised;
  for (const auto& [test, fields] : AllDeclarations()) exercised.insert(fields.begin(), fields.end());
  std::vector<std::string> missing;
  int walked = 0;
  for (const char* message : kWalkedMessages) {
    const Descriptor* d = DescriptorPool::generated_pool()->FindMessageTypeByName(absl::StrCat("runtime.v1.", message));
    ASSERT_NE(d, nullptr) << message;
    for (int i = 0; i < d->field_count(); ++i) {
      std::string name = absl::StrCat(message, ".", d->field(i)->name());
      ++walked;
      if (!exercised.contains(name) && !ignored.contains(name)) missing.push_back(name);
    }
  }
  EXPECT_GT(walked, 50);
  EXPECT_TRUE(missing.empty()) << missing.size() << " fields are neither exercised by a conformance test nor listed "
                               << "in tests/conformance/README.md as accepted but ignored:\n  "
                               << absl::StrJoin(missing, "\n  ");
}

}  // namespace
}  // namespace silo::testing::conformance
