// Fuzz target: WWW-Authenticate challenge parsing (registry auth). Lines of
// the input are separate header values.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "image/registry/auth.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> values = absl::StrSplit(text, '\n');
  (void)silo::image::registry::ParseChallenges(values);
  return 0;
}
