#pragma once
// The probe as a Windows handler's readiness (HandlerParts::ready, which CRI
// Status reports as RuntimeReady with containerd's reason RuntimeNotReady):
// OK, or FailedPrecondition "<reason>: <what is missing>". Needs Abseil, so it
// is a library of its own beside the Abseil-free probe.

#include <functional>

#include "absl/status/status.h"
#include "runtime/windows/readiness/readiness_api.h"
#include "runtime/windows/readiness/runtime_readiness.h"

namespace silo::runtime::windows::readiness {

absl::Status ReadinessStatus(const RuntimeReadiness& readiness);

// Probes `api` at every call (a few DLL loads and service queries: cheap
// enough for kubelet's 5 s poll, and a feature enabled later is seen).
// `api` must outlive the function.
std::function<absl::Status()> ReadinessCheck(const ReadinessApi& api);

}  // namespace silo::runtime::windows::readiness
