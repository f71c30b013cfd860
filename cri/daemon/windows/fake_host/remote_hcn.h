#pragma once
// computenetwork.dll across processes (see remote_hcs.h): every entry is
// marshalled generically; the host tracks the network, namespace and
// endpoint handles a client holds, to close them when it dies.

#include "cri/daemon/windows/fake_host/remote_entry.h"
#include "network/hns/api.h"

namespace silo::cri::fake_host {

const network::hns::HcnApi& RemoteHcnApi();
void ServeHcn(HostEntries& entries, const network::hns::HcnApi& api);

}  // namespace silo::cri::fake_host
