#pragma once
// WindowsHostApis::read_job across processes: a job object's counters, as
// the fake host's reader reports them.

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "cri/daemon/windows/fake_host/remote_entry.h"
#include "runtime/stats/stats_types.h"

namespace silo::cri::fake_host {

using ReadJob = std::function<absl::StatusOr<runtime::stats::GroupCounters>(const std::string& job_name)>;

ReadJob RemoteReadJob();
void ServeReadJob(HostEntries& entries, ReadJob read_job);

}  // namespace silo::cri::fake_host
