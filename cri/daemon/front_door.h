#pragma once
// FrontDoor: how kubelet reaches silod's CRI server on this platform.
//
//   Linux    the gRPC server listens on the unix socket itself (0660, root),
//            or on loopback TCP as an explicit opt-in (listener.h).
//   Windows  gRPC C++ cannot serve a named pipe, so the server listens on a
//            private loopback port and the npipe relay
//            (network/relay/npipe_relay_win32.h) serves npipe://./pipe/silo
//            with a SYSTEM/Administrators DACL in front of it. Only the
//            relay's own upstream connections are admitted (admitted()), so
//            a local user dialling the private port directly is refused.
//
// One implementation per platform (front_door_linux.cc, front_door_win32.cc).
// Not thread-safe: the daemon drives it from its start-up and shutdown.

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace grpc {
class Server;
class ServerBuilder;
}  // namespace grpc

namespace silo::network::relay {
class RelayedPeers;
}  // namespace silo::network::relay

namespace silo::cri {

class FrontDoor {
 public:
  virtual ~FrontDoor() = default;

  // The peers the CRI handlers may serve: the relay's live connections, or
  // null where whoever reaches the endpoint is already authorised.
  virtual const network::relay::RelayedPeers* admitted() const = 0;

  // Adds the listening port (and the admission check, behind a relay) to
  // `builder`, starts the server and opens the door (secures the socket,
  // starts the relay). Null server: nothing is left open.
  virtual absl::StatusOr<std::unique_ptr<grpc::Server>> Serve(grpc::ServerBuilder& builder) = 0;

  // After the server stopped: closes the door (removes the socket, stops the
  // relay). Idempotent.
  virtual void Close() = 0;
};

// Checks `endpoint` (the config's listen) before anything binds: FailedPrecondition
// when another server already answers there, InvalidArgument for an endpoint this
// platform cannot serve.
absl::StatusOr<std::unique_ptr<FrontDoor>> PrepareFrontDoor(const std::string& endpoint);

}  // namespace silo::cri
