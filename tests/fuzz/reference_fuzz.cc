// Fuzz target: image reference parsing and normalisation. A parsed
// reference must print as a string that parses to the same reference.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "image/reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto ref = silo::image::ParseReference(text);
  if (!ref.ok()) return 0;
  auto again = silo::image::ParseReference(ref->String());
  if (!again.ok() || again->String() != ref->String()) std::abort();  // normal form is a fixed point
  return 0;
}
