// Fuzz target: CNI plugin results (the output of untrusted plugins).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "network/cni/result.h"

std::vector<std::string> SiloFuzzSeeds() {
  return {R"({"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/run/netns/x"}],)"
          R"("ips":[{"address":"10.88.0.5/24","gateway":"10.88.0.1","interface":0}],)"
          R"("routes":[{"dst":"0.0.0.0/0"}],"dns":{"nameservers":["10.96.0.10"]}})",
          R"({"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.1.0.2/16"}]})", R"({"code":11,"msg":"x"})"};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = silo::network::cni::ParseResult(std::string(reinterpret_cast<const char*>(data), size));
  if (r.ok()) {
    (void)silo::network::cni::PrimaryIPv4(*r);
    (void)silo::network::cni::PrimaryIPv6(*r);
  }
  return 0;
}
