#pragma once
// The comparison's test images, built on this machine (no outside registry is
// reachable) and pushed to a LocalRegistry:
//   test/busybox:v1   busybox-static, the workload containers' image;
//   test/pause:v1     busybox-static whose entrypoint sleeps forever, given to
//                     containerd as its sandbox_image (registry.k8s.io/pause
//                     cannot be fetched here);
//   test/big:N        a large many-layer image per cold pull (distinct random
//                     content each, so no pull finds a layer already stored).

#include <string>

#include "absl/status/statusor.h"
#include "image/registry/testing/local_registry.h"

namespace silo::bench {

struct BigImageShape {
  int count = 4;      // images test/big:0 .. test/big:count-1
  int layers = 16;    // layers per image
  int layer_mb = 4;   // MiB of incompressible data per layer
};

struct PushedImages {
  std::string busybox, pause, big_prefix;  // big: big_prefix + N
};

// Builds every image under `scratch` and pushes it to `registry`.
absl::StatusOr<PushedImages> PushBenchImages(image::registry::testing::LocalRegistry* registry,
                                             const std::string& scratch, const BigImageShape& big);

}  // namespace silo::bench
