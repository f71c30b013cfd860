#include "runtime/windows/readiness/readiness_status.h"

#include <string>

namespace silo::runtime::windows::readiness {

absl::Status ReadinessStatus(const RuntimeReadiness& r) {
  if (r.ready) return absl::OkStatus();
  return absl::FailedPreconditionError(r.reason + ": " + r.message);
}

std::function<absl::Status()> ReadinessCheck(const ReadinessApi& api) {
  return [&api] { return ReadinessStatus(ProbeRuntimeReadiness(api)); };
}

}  // namespace silo::runtime::windows::readiness
