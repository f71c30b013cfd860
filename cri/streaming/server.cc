#include "cri/streaming/server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cri/streaming/handlers.h"
#include "cri/streaming/socket_io.h"
#include "cri/streaming/ws_connection.h"
#include "spdlog/spdlog.h"
#include "runtime/base/mutex.h"

namespace silo::cri::streaming {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

// How long a client may take to send its request head.
constexpr absl::Duration kRequestTimeout = absl::Seconds(30);

const std::vector<std::string> kSpdyRemoteCommandProtocols = {
    "v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"};
const std::vector<std::string> kSpdyPortForwardProtocols = {"portforward.k8s.io"};
const std::vector<std::string> kWebSocketProtocols = {
    "v5.channel.k8s.io", "v4.channel.k8s.io", "v4.base64.channel.k8s.io", "channel.k8s.io",
    "base64.channel.k8s.io"};

const std::vector<std::string> kWebSocketPortForwardProtocols = {"v4.channel.k8s.io",
                                                                  "v4.base64.channel.k8s.io"};

// The `ports` query parameters (comma-separated, possibly repeated).
absl::StatusOr<std::vector<int32_t>> QueryPorts(absl::string_view target) {
  std::vector<int32_t> ports;
  size_t q = target.find('?');
  if (q != absl::string_view::npos) {
    for (absl::string_view kv : absl::StrSplit(target.substr(q + 1), '&')) {
      if (!absl::ConsumePrefix(&kv, "ports=")) continue;
      for (absl::string_view p : absl::StrSplit(kv, ',', absl::SkipEmpty())) {
        int32_t port;
        if (!absl::SimpleAtoi(p, &port) || port <= 0 || port > 65535) {
          return absl::InvalidArgumentError(absl::StrCat("invalid port \"", p, "\""));
        }
        ports.push_back(port);
      }
    }
  }
  // Channel ids are one byte: 2 per port.
  if (ports.empty() || ports.size() > 127) {
    return absl::InvalidArgumentError("ports query must name 1 to 127 ports");
  }
  return ports;
}

// All comma-separated values of every `name` header line.
std::vector<std::string> HeaderList(const http::request<http::string_body>& req,
                                    absl::string_view name) {
  std::vector<std::string> out;
  for (const auto& field : req) {
    if (!absl::EqualsIgnoreCase(absl::string_view(field.name_string().data(), field.name_string().size()), name)) {
      continue;
    }
    for (absl::string_view v : absl::StrSplit(
             absl::string_view(field.value().data(), field.value().size()), ',')) {
      v = absl::StripAsciiWhitespace(v);
      if (!v.empty()) out.emplace_back(v);
    }
  }
  return out;
}

// The first protocol the client offers that we support (client preference
// order), or "" when none.
std::string Negotiate(const std::vector<std::string>& offered,
                      const std::vector<std::string>& supported) {
  for (const std::string& p : offered) {
    for (const std::string& s : supported) {
      if (p == s) return p;
    }
  }
  return "";
}

// Responses are written whole to the connection's socket: the connection
// keeps only the OS socket, which the upgraded protocols use directly.
template <typename Message>
bool WriteMessage(SocketFd fd, const Message& message) {
  std::ostringstream out;
  out << message;
  return SendAll(fd, out.str());
}

bool WriteResponse(SocketFd fd, http::status status, absl::string_view body,
                   const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  http::response<http::string_body> res{status, 11};
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  for (const auto& [k, v] : headers) res.set(k, v);
  res.body() = std::string(body);
  res.keep_alive(false);
  res.prepare_payload();
  return WriteMessage(fd, res);
}

bool WriteSwitching(SocketFd fd,
                    const std::vector<std::pair<std::string, std::string>>& headers) {
  http::response<http::empty_body> res{http::status::switching_protocols, 11};
  res.set(http::field::connection, "Upgrade");
  for (const auto& [k, v] : headers) res.set(k, v);
  return WriteMessage(fd, res);
}

}  // namespace

struct Server::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
};

Server::Server(ServerOptions options, StreamingRuntime* runtime)
    : options_(std::move(options)),
      runtime_(runtime),
      tokens_(options_.token_ttl, options_.max_tokens, options_.clock),
      impl_(std::make_unique<Impl>()) {}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options,
                                                      StreamingRuntime* runtime) {
  std::unique_ptr<Server> server(new Server(std::move(options), runtime));
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(server->options_.address, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("streaming: bad listen address ", server->options_.address));
  }
  tcp::endpoint ep(addr, server->options_.port);
  auto& acc = server->impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("streaming: listen on ", server->options_.address,
                                               ":", server->options_.port, ": ", ec.message()));
  }
  server->port_ = acc.local_endpoint().port();
  server->acceptor_thread_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  return server;
}

Server::~Server() { Stop(); }

void Server::Stop() {
  if (stopping_.exchange(true)) return;
  // Wakes the acceptor's poll at once instead of at its next tick.
  if (impl_->acceptor.is_open()) ShutdownSocket(impl_->acceptor.native_handle());
  if (acceptor_thread_.joinable()) acceptor_thread_.join();
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
  std::list<std::unique_ptr<Connection>> conns;
  {
    silo::MutexLock lock(&conns_mu_);
    conns.swap(conns_);
  }
  for (auto& c : conns) {
    silo::MutexLock lock(&c->mu);
    if (c->fd != kNoSocket) ShutdownSocket(c->fd);
  }
  for (auto& c : conns) c->thread.join();
}

std::string Server::BaseUrl() const {
  std::string host = options_.address;
  if (host.find(':') != std::string::npos) host = absl::StrCat("[", host, "]");
  return absl::StrCat("http://", host, ":", port_);
}

absl::StatusOr<std::string> Server::Park(StreamRequest request, const char* route) {
  auto token = tokens_.Insert(std::move(request));
  if (!token.ok()) return token.status();
  return absl::StrCat(BaseUrl(), "/", route, "/", *token);
}

absl::StatusOr<std::string> Server::GetExec(StreamRequest request) {
  request.kind = RequestKind::kExec;
  if (request.container_id.empty()) return absl::InvalidArgumentError("exec: missing container_id");
  if (request.cmd.empty()) return absl::InvalidArgumentError("exec: missing cmd");
  if (request.tty && request.stderr) {
    return absl::InvalidArgumentError("exec: tty and stderr cannot both be true");
  }
  if (!request.stdin && !request.stdout && !request.stderr) {
    return absl::InvalidArgumentError("exec: one of stdin, stdout, or stderr must be set");
  }
  return Park(std::move(request), "exec");
}

absl::StatusOr<std::string> Server::GetAttach(StreamRequest request) {
  request.kind = RequestKind::kAttach;
  if (request.container_id.empty()) return absl::InvalidArgumentError("attach: missing container_id");
  if (request.tty && request.stderr) {
    return absl::InvalidArgumentError("attach: tty and stderr cannot both be true");
  }
  if (!request.stdin && !request.stdout && !request.stderr) {
    return absl::InvalidArgumentError("attach: one of stdin, stdout, and stderr must be set");
  }
  return Park(std::move(request), "attach");
}

absl::StatusOr<std::string> Server::GetPortForward(StreamRequest request) {
  request.kind = RequestKind::kPortForward;
  if (request.pod_sandbox_id.empty()) {
    return absl::InvalidArgumentError("portforward: missing pod_sandbox_id");
  }
  return Park(std::move(request), "portforward");
}

void Server::AcceptLoop() {
  const SocketFd listen_fd = impl_->acceptor.native_handle();
  while (!stopping_.load()) {
    if (WaitReadable(listen_fd, absl::Milliseconds(200)) != WaitResult::kReadable) continue;
    tcp::socket socket(impl_->io);
    boost::system::error_code ec;
    impl_->acceptor.accept(socket, ec);
    if (ec) continue;
    auto conn = std::make_unique<Connection>();
    Connection* raw = conn.get();
    const SocketFd fd = socket.native_handle();
    {
      silo::MutexLock lock(&raw->mu);
      raw->fd = fd;
    }
    silo::MutexLock lock(&conns_mu_);
    // Reap finished connections so the list stays proportional to live ones.
    for (auto it = conns_.begin(); it != conns_.end();) {
      if ((*it)->done.load()) {
        (*it)->thread.join();
        it = conns_.erase(it);
      } else {
        ++it;
      }
    }
    raw->thread = std::thread([this, raw, s = std::move(socket)]() mutable {
      ServeConnection(raw);
      {
        // ServeConnection took the socket by fd; close it here under the
        // lock so Stop never shuts down a reused descriptor.
        silo::MutexLock lock(&raw->mu);
        boost::system::error_code ignored;
        s.close(ignored);
        raw->fd = kNoSocket;
      }
      raw->done = true;
    });
    conns_.push_back(std::move(conn));
  }
}

void Server::ServeConnection(Connection* conn) {
  SocketFd fd;
  {
    silo::MutexLock lock(&conn->mu);
    fd = conn->fd;
  }
  boost::system::error_code ec;

  // Read the request head ourselves under a deadline (asio's blocking reads
  // ignore SO_RCVTIMEO) and let Beast's parser make sense of it.
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(64 * 1024);
  parser.eager(true);
  std::string pending;
  const absl::Time deadline = absl::Now() + kRequestTimeout;
  while (!parser.is_done()) {
    if (!pending.empty()) {
      size_t used = parser.put(asio::buffer(pending.data(), pending.size()), ec);
      pending.erase(0, used);
      if (ec && ec != http::error::need_more) {
        WriteResponse(fd, http::status::bad_request, "bad request\n");
        return;
      }
      ec = {};
      if (parser.is_done()) break;
      if (used > 0 && !pending.empty()) continue;
    }
    if (pending.size() > 64 * 1024) return;
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration() || WaitReadable(fd, left) != WaitResult::kReadable) return;
    char chunk[8192];
    long n = RecvSome(fd, chunk, sizeof(chunk));
    if (n <= 0) return;
    pending.append(chunk, size_t(n));
  }
  const auto& req = parser.get();

  if (req.method() != http::verb::get && req.method() != http::verb::post) {
    WriteResponse(fd, http::status::method_not_allowed, "method not allowed\n");
    return;
  }
  absl::string_view target(req.target().data(), req.target().size());
  target = target.substr(0, target.find('?'));
  std::vector<std::string> parts = absl::StrSplit(target, '/', absl::SkipEmpty());
  RequestKind kind;
  if (parts.size() != 2) {
    WriteResponse(fd, http::status::not_found, "not found\n");
    return;
  }
  if (parts[0] == "exec") {
    kind = RequestKind::kExec;
  } else if (parts[0] == "attach") {
    kind = RequestKind::kAttach;
  } else if (parts[0] == "portforward") {
    kind = RequestKind::kPortForward;
  } else {
    WriteResponse(fd, http::status::not_found, "not found\n");
    return;
  }
  auto request = tokens_.Take(parts[1]);
  if (!request.ok() || request->kind != kind) {
    WriteResponse(fd, http::status::not_found, "not found\n");
    return;
  }

  const std::string upgrade = absl::AsciiStrToLower(
      std::string(req[http::field::upgrade].data(), req[http::field::upgrade].size()));
  auto leftover = [&] { return pending; };
  HandlerOptions handler_options;
  handler_options.runtime = runtime_;
  handler_options.stream_creation_timeout = options_.stream_creation_timeout;
  handler_options.idle_timeout = options_.idle_timeout;

  if (upgrade == "spdy/3.1") {
    const auto& supported = kind == RequestKind::kPortForward ? kSpdyPortForwardProtocols
                                                              : kSpdyRemoteCommandProtocols;
    std::vector<std::string> offered = HeaderList(req, "X-Stream-Protocol-Version");
    // Clients predating version negotiation speak the oldest protocol.
    std::string protocol = offered.empty() ? supported.back() : Negotiate(offered, supported);
    if (protocol.empty()) {
      WriteResponse(fd, http::status::forbidden, "no supported stream protocol\n",
                    {{"X-Accepted-Stream-Protocol-Versions", absl::StrJoin(supported, ", ")}});
      return;
    }
    std::vector<std::pair<std::string, std::string>> headers = {{"Upgrade", "SPDY/3.1"}};
    if (!offered.empty()) headers.emplace_back("X-Stream-Protocol-Version", protocol);
    if (!WriteSwitching(fd, headers)) return;
    if (kind == RequestKind::kPortForward) {
      ServePortForwardSpdy(fd, leftover(), *request, handler_options);
    } else {
      ServeRemoteCommandSpdy(fd, leftover(), *request, protocol, handler_options);
    }
    return;
  }

  if (upgrade == "websocket") {
    const std::string key(req["Sec-WebSocket-Key"].data(), req["Sec-WebSocket-Key"].size());
    const bool version_ok = req["Sec-WebSocket-Version"] == "13";
    if (key.empty() || !version_ok) {
      WriteResponse(fd, http::status::bad_request, "bad websocket handshake\n",
                    {{"Sec-WebSocket-Version", "13"}});
      return;
    }
    std::vector<int32_t> ports;
    if (kind == RequestKind::kPortForward) {
      auto parsed = QueryPorts(absl::string_view(req.target().data(), req.target().size()));
      if (!parsed.ok()) {
        WriteResponse(fd, http::status::bad_request, absl::StrCat(parsed.status().message(), "\n"));
        return;
      }
      ports = *std::move(parsed);
    }
    std::vector<std::string> offered = HeaderList(req, "Sec-WebSocket-Protocol");
    std::string protocol = Negotiate(offered, kind == RequestKind::kPortForward
                                                  ? kWebSocketPortForwardProtocols
                                                  : kWebSocketProtocols);
    if (!offered.empty() && protocol.empty()) {
      WriteResponse(fd, http::status::bad_request, "no supported websocket subprotocol\n");
      return;
    }
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Upgrade", "websocket"}, {"Sec-WebSocket-Accept", WebSocketAccept(key)}};
    if (!protocol.empty()) headers.emplace_back("Sec-WebSocket-Protocol", protocol);
    if (!WriteSwitching(fd, headers)) return;
    if (kind == RequestKind::kPortForward) {
      ServePortForwardWebSocket(fd, leftover(), *request, protocol, ports, handler_options);
    } else {
      ServeRemoteCommandWebSocket(fd, leftover(), *request, protocol, handler_options);
    }
    return;
  }

  WriteResponse(fd, http::status::bad_request, "upgrade to SPDY/3.1 or websocket required\n");
}

}  // namespace silo::cri::streaming
