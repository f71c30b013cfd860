#pragma once
// RelayedPeers: the loopback addresses of the relay's live upstream
// connections, i.e. the only peers the gRPC server behind the relay may serve.
//
// gRPC C++ cannot serve a named pipe, so on Windows silod's CRI server listens
// on a private loopback TCP port and the pipe relay dials it. The pipe's
// security descriptor admits only SYSTEM and Administrators, but any local
// user, or a HostProcess container, could dial the private port directly. So
// the relay registers the local address of each upstream connection here
// after connecting and before forwarding its first byte, and removes it
// before closing the socket (so the address cannot be reused by another
// connection while it is still admitted); the server's admission check
// (cri/grpc/relay_admission.h) refuses every call from any other peer.
//
// Standard library only: the Win32 relay uses it too. Thread-safe.

#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace silo::network::relay {

class RelayedPeers {
 public:
  // `ipv4` is the dotted address the relay's socket is bound to (getsockname),
  // normally 127.0.0.1; any other loopback address works the same way.
  void Add(const std::string& ipv4, uint16_t port);
  void Remove(const std::string& ipv4, uint16_t port);

  // `peer` as gRPC reports it (ServerContext::peer()): "ipv4:127.0.0.1:54321".
  // True only for a registered address and port; IPv6, unix and malformed
  // peers are never admitted (the relay dials IPv4 loopback only).
  bool Admits(std::string_view peer) const;

  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::set<std::pair<std::string, uint16_t>> peers_;  // guarded by mu_
};

}  // namespace silo::network::relay
