#pragma once
// UnixRelay: accepts connections on a unix socket and relays each, byte for
// byte, to an upstream unix socket or loopback TCP port (PumpFds on a thread
// per connection).
// It is the Linux twin of the Windows named-pipe front door (design:
// "Reaching kubelet"): kubelet dials the relay's endpoint, the relay dials
// the gRPC server's private endpoint. On Linux silod serves its socket
// directly; this class exists so the relay path (accept, dial, pump,
// shutdown) runs end to end in tests with a real silod and real gRPC
// clients.
//
// Stop() (or destruction) closes the listener, cancels every pump and joins
// all threads; relayed clients see their connection end. Thread-safe.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "network/relay/relayed_peers.h"

namespace silo::network::relay {

class UnixRelay {
 public:
  // Listens on `listen_path` (created 0600; a stale file is replaced) and
  // relays to `upstream_path`.
  static absl::StatusOr<std::unique_ptr<UnixRelay>> Start(const std::string& listen_path,
                                                         const std::string& upstream_path);
  // The same, relaying to 127.0.0.1:`upstream_port` as the Windows pipe relay
  // does, and registering each upstream connection's address in `admitted`
  // (which must outlive the relay) for as long as it lives.
  static absl::StatusOr<std::unique_ptr<UnixRelay>> StartToLoopback(const std::string& listen_path,
                                                                   uint16_t upstream_port, RelayedPeers* admitted);
  ~UnixRelay();
  UnixRelay(const UnixRelay&) = delete;
  UnixRelay& operator=(const UnixRelay&) = delete;

  void Stop();
  int64_t connections() const { return connections_.load(); }
  int64_t failed_dials() const { return failed_dials_.load(); }

 private:
  struct Upstream {
    std::string unix_path;       // set for a unix upstream
    uint16_t loopback_port = 0;  // else 127.0.0.1:port
    RelayedPeers* admitted = nullptr;
  };
  UnixRelay(std::string listen_path, Upstream upstream, int listen_fd, int cancel_fd)
      : listen_path_(std::move(listen_path)), upstream_(std::move(upstream)), listen_fd_(listen_fd),
        cancel_fd_(cancel_fd) {}
  static absl::StatusOr<std::unique_ptr<UnixRelay>> Listen(const std::string& listen_path, Upstream upstream);
  void AcceptLoop();
  void Serve(int client_fd);

  const std::string listen_path_;
  const Upstream upstream_;
  int listen_fd_;
  int cancel_fd_;  // eventfd: readable once Stop() ran
  std::thread acceptor_;
  std::mutex mu_;
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  // Joins pumps whose connection ended (a daemon runs for months). Requires mu_.
  void ReapLocked();
  std::vector<Worker> pumps_;       // guarded by mu_
  bool stopped_ = false;            // guarded by mu_
  std::atomic<int64_t> connections_{0};
  std::atomic<int64_t> failed_dials_{0};
};

}  // namespace silo::network::relay
