#pragma once
// The host-path calls (CreateFileW, GetFinalPathNameByHandleW, ...) across
// processes (see remote_hcs.h); the host tracks the file handles a client
// holds, to close them when it dies.

#include "cri/daemon/windows/fake_host/remote_entry.h"
#include "runtime/windows/host_path/api.h"

namespace silo::cri::fake_host {

const runtime::windows::host_path::HostPathApi& RemoteHostPathApi();
void ServeHostPaths(HostEntries& entries, const runtime::windows::host_path::HostPathApi& api);

}  // namespace silo::cri::fake_host
