#pragma once
// The busybox test image for container tests and benchmarks, built here (no
// registry outside the machine is reachable) and pushed to a LocalRegistry.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "image/registry/testing/local_registry.h"

namespace silo::testing {

// Runs `cmd` with /bin/sh; its exit code (-1 if it did not exit).
int Sh(const std::string& cmd);

// An OCI layout tagged "v1" whose only layer holds busybox-static as
// /bin/busybox and /bin/sh, with /tmp.
// `extra_env` ("KEY=value") is added to the image config's Env after PATH.
absl::Status BuildBusyboxImage(const std::string& layout_dir, const std::string& scratch,
                               const std::vector<std::string>& extra_env = {});

// Builds the busybox image under `scratch_dir`, pushes it to `registry` as
// `name`:v1 and returns its reference ("127.0.0.1:PORT/test/busybox:v1").
absl::StatusOr<std::string> PushBusyboxImage(image::registry::testing::LocalRegistry* registry,
                                             const std::string& scratch_dir,
                                             const std::string& name = "test/busybox");

}  // namespace silo::testing
