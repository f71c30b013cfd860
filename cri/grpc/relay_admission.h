#pragma once
// The admission check of the CRI server behind the Windows named-pipe relay:
// a gRPC server interceptor that cancels every call, of every service
// (server reflection included, which is registered outside the adapters),
// whose peer is not one of the relay's live upstream connections
// (network/relay/relayed_peers.h). A local user or a HostProcess container
// that dials the private loopback port directly is thereby refused. gRPC
// still runs a sync handler after an interceptor's TryCancel, so the CRI
// handlers' own gate (Instrument, given the same RelayedPeers) checks the
// peer again and runs no handler for it; server reflection, which has no such
// gate, runs but cannot answer on the cancelled call. The client sees
// CANCELLED; silod logs the refusal.

#include <memory>

#include "grpcpp/support/server_interceptor.h"
#include "network/relay/relayed_peers.h"

namespace silo::cri {

// `admitted` must outlive the server the factory is installed on.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> RelayAdmission(
    const network::relay::RelayedPeers* admitted);

}  // namespace silo::cri
