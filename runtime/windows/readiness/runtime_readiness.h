#pragma once
// Whether this host can run Windows containers, for the RuntimeReady
// condition of CRI Status. A node without the Containers feature lacks the
// HCS and HCN DLLs and the services behind them; kubelet then shows the node
// NotReady with our reason and message, which name exactly what is missing
// instead of failing the first pod with an HRESULT.
//
// Checked, in order: computecore.dll (HCS v2), vmcompute.dll (HCS v1, HNS
// calls, layer import), computenetwork.dll (HCN) loadable from System32;
// the services vmcompute (Hyper-V Host Compute Service) and hns (Host
// Network Service) installed and running. Every check runs, so the message
// lists all that is wrong at once. Handles are closed on every path.
// Thread-safe if the table is.

#include <string>
#include <vector>

#include "runtime/windows/readiness/readiness_api.h"

namespace silo::runtime::windows::readiness {

// CRI condition reasons (CamelCase, as kubelet shows them).
inline constexpr char kReasonFeatureMissing[] = "WindowsContainersFeatureMissing";
inline constexpr char kReasonServiceNotRunning[] = "ContainerServiceNotRunning";

struct RuntimeReadiness {
  bool ready = false;
  std::string reason;   // empty when ready; kReasonFeatureMissing wins over kReasonServiceNotRunning
  std::string message;  // e.g. "computecore.dll not found in System32; service hns is not installed"
  std::vector<std::string> missing;  // one entry per failed check, in check order
};

RuntimeReadiness ProbeRuntimeReadiness(const ReadinessApi& api);

}  // namespace silo::runtime::windows::readiness
