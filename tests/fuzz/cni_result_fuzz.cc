// Fuzz target: CNI plugin results (the output of untrusted plugins).
#include <cstddef>
#include <cstdint>
#include <string>

#include "network/cni/result.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = silo::network::cni::ParseResult(std::string(reinterpret_cast<const char*>(data), size));
  if (r.ok()) {
    (void)silo::network::cni::PrimaryIPv4(*r);
    (void)silo::network::cni::PrimaryIPv6(*r);
  }
  return 0;
}
