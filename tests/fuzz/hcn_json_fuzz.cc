// Fuzz target: HCN (HNS v2) JSON documents as computenetwork.dll returns them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "network/hns/schema.h"

namespace hns = silo::network::hns;

std::vector<std::string> SiloFuzzSeeds() {
  return {R"({"ID":"0b4f5d0e-3c2a-4f57-9a61-7d1e2c3b4a59","Type":"Host","Resources":[{"Type":"Endpoint","Data":{"Id":"x"}}]})",
          R"({"ID":"a","Name":"ep","HostComputeNetwork":"n","HostComputeNamespace":"m","IpConfigurations":[{"IpAddress":"10.0.0.2","PrefixLength":24}]})",
          R"({"ID":"n","Name":"sdnbridge","Type":"L2Bridge"})", R"(["a","b"])"};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  (void)hns::ParseNamespace(json);
  (void)hns::ParseEndpoint(json);
  (void)hns::ParseNetwork(json);
  (void)hns::ParseIdList(json);
  return 0;
}
