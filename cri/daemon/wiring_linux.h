#pragma once
// What the Linux wiring derives from the config that tests also need.

#include <string>

#include "cri/daemon/config.h"

namespace silo::cri {

// The cgroup under which the runc handler makes pod cgroups: "silo" for the
// default state dir; a daemon with another state dir (tests, a second
// instance) gets its own, because recovery removes every pod cgroup under
// the parent that no record owns.
std::string PodCgroupParent(const Config& config);

}  // namespace silo::cri
