#pragma once
// computecore.dll across processes: RemoteHcsApi() is the table a client
// process (FakeHostClient) uses; ServeHcs adds the host's side, which calls
// the fake HCS as its process 0. Events of HCS callbacks travel back on the
// caller's lifeline and run its callback there. Operations take no
// completion callback (silod waits on them); one is refused.

#include "cri/daemon/windows/fake_host/remote_entry.h"
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/hcs/api.h"

namespace silo::cri::fake_host {

const runtime::windows::hcs::HcsApi& RemoteHcsApi();
void ServeHcs(HostEntries& entries, const runtime::windows::fake::FakeHcs& hcs);

}  // namespace silo::cri::fake_host
