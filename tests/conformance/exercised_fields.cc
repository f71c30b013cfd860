#include "tests/conformance/exercised_fields.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace silo::testing::conformance {

namespace {

Declarations& Mutable() {
  static auto* declarations = new Declarations();
  return *declarations;
}

}  // namespace

int DeclareExercised(const char* suite, const char* test, std::initializer_list<const char*> fields) {
  auto& set = Mutable()[absl::StrCat(suite, ".", test)];
  for (const char* f : fields) set.insert(f);
  return static_cast<int>(set.size());
}

const Declarations& AllDeclarations() { return Mutable(); }

void CollectSetFields(const google::protobuf::Message& message, std::set<std::string>* out) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* refl = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  refl->ListFields(message, &fields);
  for (const FieldDescriptor* f : fields) {
    out->insert(std::string(absl::StripPrefix(f->full_name(), "runtime.v1.")));
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || f->is_map()) continue;
    if (f->is_repeated()) {
      for (int i = 0; i < refl->FieldSize(message, f); ++i) CollectSetFields(refl->GetRepeatedMessage(message, f, i), out);
    } else {
      CollectSetFields(refl->GetMessage(message, f), out);
    }
  }
}

}  // namespace silo::testing::conformance
