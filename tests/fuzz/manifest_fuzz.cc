// Fuzz target: OCI/Docker manifests and indexes. The body's first byte picks
// the media type, the rest is the document; parsing must never crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "image/registry/manifest.h"

namespace reg = silo::image::registry;

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
