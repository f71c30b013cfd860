#pragma once
// The Job Object calls across processes (see remote_hcs.h). get_last_error
// answers the last remote call of the calling thread, as GetLastError
// does; the host tracks the job handles a client holds, to close them when
// it dies. A handle duplicated into another process (duplicate_job_handle)
// belongs to that process, not the caller.

#include "cri/daemon/windows/fake_host/remote_entry.h"
#include "runtime/windows/jobobject/api.h"

namespace silo::cri::fake_host {

const runtime::windows::jobobject::JobApi& RemoteJobApi();
void ServeJobs(HostEntries& entries, const runtime::windows::jobobject::JobApi& api);

}  // namespace silo::cri::fake_host
