#pragma once
// The readiness probe's calls (LoadLibraryExW, the service manager) across
// processes (see remote_hcs.h): what the fake host's node has installed and
// running. get_last_error as for Job Objects (last_error.h); the host
// tracks the module and service handles a client holds.

#include "cri/daemon/windows/fake_host/remote_entry.h"
#include "runtime/windows/readiness/readiness_api.h"

namespace silo::cri::fake_host {

const runtime::windows::readiness::ReadinessApi& RemoteReadinessApi();
void ServeReadiness(HostEntries& entries, const runtime::windows::readiness::ReadinessApi& api);

}  // namespace silo::cri::fake_host
