// Fuzz target: OCI/Docker manifests and indexes. The body's first byte picks
// the media type, the rest is the document; parsing must never crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "image/registry/manifest.h"

namespace reg = silo::image::registry;

std::vector<std::string> SiloFuzzSeeds() {
  const std::string digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  return {
      std::string("\x00", 1) + R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)" +
          R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" + digest +
          R"(","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" + digest +
          R"(","size":10}]})",
      std::string("\x01", 1) + R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",)" +
          R"("digest":")" + digest + R"(","size":5,"platform":{"os":"windows","architecture":"amd64","os.version":"10.0.20348.1"}}]})",
      std::string("\x02", 1) + R"({"schemaVersion":1,"fsLayers":[]})"};
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char* kTypes[] = {"application/vnd.oci.image.manifest.v1+json",
                                 "application/vnd.oci.image.index.v1+json",
                                 "application/vnd.docker.distribution.manifest.v2+json",
                                 "application/vnd.docker.distribution.manifest.list.v2+json", ""};
  const char* type = kTypes[data[0] % 5];
  std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  (void)reg::ParseManifest(type, body);
  (void)reg::ParseIndex(type, body);
  return 0;
}
