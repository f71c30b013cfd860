// Fuzz target: HCN (HNS v2) JSON documents as computenetwork.dll returns them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "network/hns/schema.h"

namespace hns = silo::network::hns;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  (void)hns::ParseNamespace(json);
  (void)hns::ParseEndpoint(json);
  (void)hns::ParseNetwork(json);
  (void)hns::ParseIdList(json);
  return 0;
}
