// Fuzz target: silod's YAML configuration (errors must be statuses, never
// exceptions or crashes).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cri/daemon/config.h"

std::vector<std::string> SiloFuzzSeeds() {
  return {"root: /var/lib/silo\nlog: {level: debug}\n",
          "registry:\n  mirrors:\n    docker.io: [http://127.0.0.1:5000]\n  insecure: [a]\n",
          "runtime:\n  handlers:\n    - {name: fast, type: runc}\n", "streaming: {token_ttl: 1s, idle_timeout: 4h}\n",
          "[unclosed", "- a\n- b\n", "stats: {interval: 10ms}\n"};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto c = silo::cri::ParseConfig(std::string(reinterpret_cast<const char*>(data), size));
  if (c.ok()) (void)silo::cri::ValidateConfig(*c);
  return 0;
}
