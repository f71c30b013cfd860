// Fuzz target: image reference parsing and normalisation. A parsed
// reference must print as a string that parses to the same reference.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "image/reference.h"

std::vector<std::string> SiloFuzzSeeds() {
  return {"busybox", "docker.io/library/busybox:latest", "127.0.0.1:5000/team/app:v1",
          "repo@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
          "host:5000/a/b/c:tag@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
          "UPPER/case", "a..b", "x:", "@sha256:", "[::1]:5000/x"};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto ref = silo::image::ParseReference(text);
  if (!ref.ok()) return 0;
  auto again = silo::image::ParseReference(ref->String());
  if (!again.ok() || again->String() != ref->String()) std::abort();  // normal form is a fixed point
  return 0;
}
