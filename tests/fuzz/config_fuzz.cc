// Fuzz target: silod's YAML configuration (errors must be statuses, never
// exceptions or crashes).
#include <cstddef>
#include <cstdint>
#include <string>

#include "cri/daemon/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto c = silo::cri::ParseConfig(std::string(reinterpret_cast<const char*>(data), size));
  if (c.ok()) (void)silo::cri::ValidateConfig(*c);
  return 0;
}
