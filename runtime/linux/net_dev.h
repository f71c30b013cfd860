#pragma once
// Parses the /proc/net/dev table of a network namespace.

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/stats/stats_types.h"

namespace silo::runtime::linux_backend {

using stats::InterfaceCounters;

// Every interface except loopback, in table order. InvalidArgument naming
// the line when a row is malformed.
absl::StatusOr<std::vector<InterfaceCounters>> ParseNetDev(absl::string_view text);

}  // namespace silo::runtime::linux_backend
