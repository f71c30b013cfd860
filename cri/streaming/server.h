#pragma once
// The streaming server behind the CRI Exec, Attach and PortForward RPCs. The
// RPC validates its request and parks it under a single-use token
// (GetExec/GetAttach/GetPortForward return the URL); the client then
// upgrades an HTTP/1.1 request on that URL to SPDY/3.1 or WebSocket and the
// matching handler serves the session against the StreamingRuntime.
//
// Routes: /exec/{token}, /attach/{token}, /portforward/{token}, GET or POST.
// Unknown, expired, reused or mismatched tokens get 404.
// Subprotocols: SPDY exec/attach v4.channel.k8s.io down to channel.k8s.io;
// SPDY portforward.k8s.io; WebSocket exec/attach v5.channel.k8s.io,
// v4.channel.k8s.io, v4.base64.channel.k8s.io, channel.k8s.io,
// base64.channel.k8s.io; WebSocket port-forward v4.channel.k8s.io and
// v4.base64.channel.k8s.io with ?ports=. Not handled: the
// SPDY/3.1+portforward.k8s.io tunnel, TLS.
//
// Threading: one acceptor thread plus one thread per connection (sessions
// block on sockets and processes). Get* are thread-safe. Stop() ends the
// acceptor, shuts every connection's socket down and joins; it waits for
// running handlers, so a runtime call must return once its streams fail.

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "runtime/base/mutex.h"
#include "absl/time/time.h"
#include "cri/streaming/request.h"
#include "cri/streaming/socket_io.h"
#include "cri/streaming/streaming_runtime.h"
#include "cri/streaming/token_store.h"

namespace silo::cri::streaming {

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0: pick a free port
  absl::Duration token_ttl = absl::Minutes(1);
  size_t max_tokens = 1000;
  absl::Duration stream_creation_timeout = absl::Seconds(30);
  absl::Duration idle_timeout = absl::Hours(4);
  TokenStore::Clock clock = [] { return absl::Now(); };
};

class Server {
 public:
  // Binds and starts serving. `runtime` must outlive the server.
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServerOptions options,
                                                       StreamingRuntime* runtime);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Idempotent.
  void Stop();

  uint16_t port() const { return port_; }
  // "http://<address>:<port>"
  std::string BaseUrl() const;

  // Validate per the CRI rules and return the one-time URL. InvalidArgument
  // for a missing container/sandbox id, tty together with stderr, or no
  // stream at all; ResourceExhausted when too many URLs are outstanding.
  absl::StatusOr<std::string> GetExec(StreamRequest request);
  absl::StatusOr<std::string> GetAttach(StreamRequest request);
  absl::StatusOr<std::string> GetPortForward(StreamRequest request);

 private:
  struct Impl;
  struct Connection {
    std::thread thread;
    silo::Mutex mu;
    SocketFd fd ABSL_GUARDED_BY(mu) = kNoSocket;
    std::atomic<bool> done{false};
  };

  Server(ServerOptions options, StreamingRuntime* runtime);
  absl::StatusOr<std::string> Park(StreamRequest request, const char* route);
  void AcceptLoop();
  void ServeConnection(Connection* conn);

  const ServerOptions options_;
  StreamingRuntime* const runtime_;
  TokenStore tokens_;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_thread_;
  silo::Mutex conns_mu_;
  std::list<std::unique_ptr<Connection>> conns_ ABSL_GUARDED_BY(conns_mu_);
};

}  // namespace silo::cri::streaming
