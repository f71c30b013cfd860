#pragma once
// The ShimPort across processes: a client's RemoteShimPort launches and
// calls the monitors that live in the fake host (its InProcessShimPort), so
// the shims, simulated processes of the fake HCS, outlive the client.
// Deadlines travel as the time left. Exec/attach sessions are not carried.

#include <memory>

#include "cri/daemon/windows/fake_host/remote_entry.h"
#include "runtime/windows/shim/shim_port.h"

namespace silo::cri::fake_host {

class RemoteShimPort final : public runtime::windows::shim::ShimPort {
 public:
  win32::HrStatus Launch(const runtime::windows::shim::ShimLaunch& launch, Deadline deadline) override;
  win32::Result<runtime::shim::Response> Call(const std::string& id, const runtime::shim::Request& request,
                                              Deadline deadline) override;
  // The host's port is called with the answer deadline: its own hop is a
  // local socket that never waits for a shim to read.
  win32::Result<runtime::shim::Response> CallWithAnswerDeadline(const std::string& id,
                                                                const runtime::shim::Request& request,
                                                                Deadline send_deadline,
                                                                Deadline answer_deadline) override;
  // Streamed sessions would need their frames relayed through the host; the
  // restart tests do not stream, so this is refused rather than half-built.
  win32::Result<runtime::windows::shim::ShimSession> OpenSession(const std::string& id,
                                                                 const runtime::shim::Request& request,
                                                                 Deadline deadline) override;
};

void ServeShims(HostEntries& entries, std::shared_ptr<runtime::windows::shim::ShimPort> shims);

}  // namespace silo::cri::fake_host
