// End-to-end tests: the real server on 127.0.0.1:0, real host processes and
// sockets behind it, and protocol clients written separately (testing/).

#include "cri/streaming/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <atomic>
#include <thread>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "runtime/base/mutex.h"
#include "absl/strings/str_cat.h"
#include "cri/streaming/testing/host_process_runtime.h"
#include "cri/streaming/testing/spdy_client.h"
#include "cri/streaming/testing/ws_client.h"
#include "gtest/gtest.h"

namespace silo::cri::streaming {
namespace {

using testing::ExecOptions;
using testing::SpdyExec;
using testing::SpdyTestClient;
using testing::WsExec;
using testing::WsExecOptions;

// TCP echo server on 127.0.0.1:0, one thread per connection.
class EchoServer {
 public:
  EchoServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd_, 64), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~EchoServer() {
    stop_ = true;
    thread_.join();
    for (std::thread& t : conns_) t.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      conns_.emplace_back([c] {
        char buf[4096];
        ssize_t n;
        while ((n = ::recv(c, buf, sizeof(buf), 0)) > 0) ::send(c, buf, size_t(n), MSG_NOSIGNAL);
        ::close(c);
      });
    }
  }
  int fd_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<std::thread> conns_;
};

// A loopback port nobody listens on: bound by the kernel, then released.
int UnusedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class StreamingServerTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(ServerOptions{}); }

  void StartServer(ServerOptions options) {
    server_.reset();
    auto s = Server::Start(std::move(options), &runtime_);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }

  std::string Path(const absl::StatusOr<std::string>& url) {
    EXPECT_TRUE(url.ok()) << url.status();
    EXPECT_TRUE(absl::StartsWith(*url, server_->BaseUrl())) << *url;
    return url->substr(server_->BaseUrl().size());
  }

  std::string ExecPath(std::vector<std::string> cmd, bool stdin, bool tty = false) {
    StreamRequest r;
    r.container_id = "c1";
    r.cmd = std::move(cmd);
    r.stdin = stdin;
    r.stdout = true;
    r.stderr = !tty;
    r.tty = tty;
    return Path(server_->GetExec(r));
  }

  testing::HostProcessRuntime runtime_;
  std::unique_ptr<Server> server_;
};

const std::vector<std::string> kExit7 = {"sh", "-c", "echo out; echo err >&2; exit 7"};

void ExpectExitCode7(const std::string& error_json) {
  auto j = nlohmann::json::parse(error_json, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << error_json;
  EXPECT_EQ(j["status"], "Failure");
  EXPECT_EQ(j["reason"], "NonZeroExitCode");
  ASSERT_EQ(j["details"]["causes"].size(), 1u);
  EXPECT_EQ(j["details"]["causes"][0]["reason"], "ExitCode");
  EXPECT_EQ(j["details"]["causes"][0]["message"], "7");
  EXPECT_TRUE(j.contains("metadata"));
}

TEST_F(StreamingServerTest, SpdyV4ExecReportsStdoutStderrAndExitCode) {
  auto r = SpdyExec(server_->port(), ExecPath(kExit7, false), ExecOptions{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->http_status, 101);
  EXPECT_EQ(r->protocol, "v4.channel.k8s.io");
  EXPECT_EQ(r->stdout, "out\n");
  EXPECT_EQ(r->stderr, "err\n");
  ExpectExitCode7(r->error);
}

TEST_F(StreamingServerTest, SpdyV4SuccessStatus) {
  auto r = SpdyExec(server_->port(), ExecPath({"true"}, false), ExecOptions{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->error, R"({"metadata":{},"status":"Success"})");
}

TEST_F(StreamingServerTest, SpdyStdinPipedThroughCat) {
  ExecOptions o;
  o.stdin = true;
  o.stdin_data = std::string(200000, 'x') + "\nend\n";  // larger than one frame/queue chunk
  auto r = SpdyExec(server_->port(), ExecPath({"cat"}, true), o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout, o.stdin_data);
  EXPECT_EQ(r->error, R"({"metadata":{},"status":"Success"})");
}

TEST_F(StreamingServerTest, SpdyV3ReportsExitAsText) {
  ExecOptions o;
  o.protocols = {"v3.channel.k8s.io"};
  auto r = SpdyExec(server_->port(), ExecPath(kExit7, false), o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->protocol, "v3.channel.k8s.io");
  EXPECT_EQ(r->error, "command terminated with non-zero exit code: exit status 7");
}

TEST_F(StreamingServerTest, SpdyUnknownProtocolIsForbidden) {
  ExecOptions o;
  o.protocols = {"v9.channel.k8s.io"};
  auto r = SpdyExec(server_->port(), ExecPath({"true"}, false), o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->http_status, 403);
}

TEST_F(StreamingServerTest, SpdyTtyResizeReachesStty) {
  ExecOptions o;
  o.tty = true;
  o.stdin = true;
  o.stderr = false;
  o.resize = std::make_pair(123, 45);
  o.stdin_data = "go\n";
  auto r = SpdyExec(server_->port(), ExecPath({"sh", "-c", "read x; stty size"}, true, true), o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(absl::StrContains(r->stdout, "45 123")) << r->stdout;
  EXPECT_EQ(r->error, R"({"metadata":{},"status":"Success"})");
}

TEST_F(StreamingServerTest, SpdyAttachJoinsMainProcess) {
  runtime_.SetAttachCommand("c1", {"cat"});
  StreamRequest req;
  req.container_id = "c1";
  req.stdin = req.stdout = req.stderr = true;
  ExecOptions o;
  o.stdin = true;
  o.stdin_data = "hello attach\n";
  auto r = SpdyExec(server_->port(), Path(server_->GetAttach(req)), o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout, "hello attach\n");
}

TEST_F(StreamingServerTest, SpdyMissingStreamsTimeOut) {
  ServerOptions options;
  options.stream_creation_timeout = absl::Milliseconds(300);
  StartServer(options);
  testing::UpgradeResponse res;
  auto c = SpdyTestClient::Connect(server_->port(), "POST", ExecPath(kExit7, false),
                                   {"v4.channel.k8s.io"}, &res);
  ASSERT_TRUE(c.ok() && *c) << res.status;
  auto err = (*c)->OpenStream({{"streamType", "error"}}, false);
  ASSERT_TRUE(err.ok());
  ASSERT_TRUE((*c)->Pump([&] { return (*c)->goaway(); }, absl::Seconds(10)).ok());
  EXPECT_TRUE(absl::StrContains((*c)->stream(*err).data, "timed out")) << (*c)->stream(*err).data;
}

TEST_F(StreamingServerTest, SpdyPingIsEchoed) {
  testing::UpgradeResponse res;
  auto c = SpdyTestClient::Connect(server_->port(), "POST", ExecPath({"true"}, false),
                                   {"v4.channel.k8s.io"}, &res);
  ASSERT_TRUE(c.ok() && *c);
  ASSERT_TRUE((*c)->Ping(41).ok());
  ASSERT_TRUE((*c)->Pump([&] { return !(*c)->pongs().empty(); }, absl::Seconds(10)).ok());
  EXPECT_EQ((*c)->pongs()[0], 41u);
}

// Wraps the host runtime to observe when an exec call returns.
class ObservedRuntime : public testing::HostProcessRuntime {
 public:
  absl::StatusOr<int> Exec(const std::string& id, const std::vector<std::string>& cmd,
                           const ExecStreams& streams) override {
    auto rc = HostProcessRuntime::Exec(id, cmd, streams);
    if (rc.ok()) exit_code = *rc;
    returned.Notify();
    return rc;
  }
  absl::Status PortForward(const std::string& id, int32_t port, ByteQueue* in,
                           OutputStream* out) override {
    absl::Status st = HostProcessRuntime::PortForward(id, port, in, out);
    forward_returned.Notify();
    return st;
  }
  int exit_code = -1;
  silo::Notification returned;
  silo::Notification forward_returned;
};

TEST(StreamingServerVanishTest, ClientLeavingMidStreamEndsTheProcess) {
  ObservedRuntime runtime;
  auto server = Server::Start(ServerOptions{}, &runtime);
  ASSERT_TRUE(server.ok());
  StreamRequest req;
  req.container_id = "c1";
  req.cmd = {"yes"};  // writes forever; only a closed pipe stops it
  req.stdout = true;
  auto url = (*server)->GetExec(req);
  ASSERT_TRUE(url.ok());
  {
    testing::UpgradeResponse res;
    auto c = SpdyTestClient::Connect((*server)->port(), "POST",
                                     url->substr((*server)->BaseUrl().size()),
                                     {"v4.channel.k8s.io"}, &res);
    ASSERT_TRUE(c.ok() && *c);
    auto err = (*c)->OpenStream({{"streamType", "error"}}, false);
    auto out = (*c)->OpenStream({{"streamType", "stdout"}}, false);
    ASSERT_TRUE(err.ok() && out.ok());
    ASSERT_TRUE((*c)->Pump([&] { return (*c)->stream(*out).data.size() > 100000; },
                           absl::Seconds(10)).ok());
  }  // the client vanishes without closing anything
  ASSERT_TRUE(runtime.returned.WaitForNotificationWithTimeout(absl::Seconds(20)));
  EXPECT_EQ(runtime.exit_code, 128 + SIGPIPE);
}

TEST_F(StreamingServerTest, WebSocketV5ExecReportsStdoutStderrAndExitCode) {
  auto r = WsExec(server_->port(), ExecPath(kExit7, false), WsExecOptions{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->http_status, 101);
  EXPECT_TRUE(r->accept_ok);
  EXPECT_EQ(r->protocol, "v5.channel.k8s.io");
  ASSERT_FALSE(r->first_channels.empty());
  EXPECT_EQ(r->first_channels[0], 1);  // ready signal on stdout
  EXPECT_EQ(r->stdout, "out\n");
  EXPECT_EQ(r->stderr, "err\n");
  ExpectExitCode7(r->error);
  EXPECT_EQ(r->close_code, 1000);
  EXPECT_NE(std::find(r->closed_channels.begin(), r->closed_channels.end(), 1),
            r->closed_channels.end());
}

TEST_F(StreamingServerTest, WebSocketV5StdinCloseReachesCat) {
  WsExecOptions o;
  o.send_stdin = true;
  o.stdin_data = "ping over websocket\n";
  o.close_stdin = true;
  auto r = WsExec(server_->port(), ExecPath({"cat"}, true), o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout, "ping over websocket\n");
  EXPECT_EQ(r->error, R"({"metadata":{},"status":"Success"})");
}

TEST_F(StreamingServerTest, WebSocketTtyResizeReachesStty) {
  WsExecOptions o;
  o.resize = std::make_pair(99, 33);
  o.send_stdin = true;
  o.stdin_data = "go\n";
  auto r = WsExec(server_->port(), ExecPath({"sh", "-c", "read x; stty size"}, true, true), o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(absl::StrContains(r->stdout, "33 99")) << r->stdout;
  EXPECT_EQ(r->stderr, "");
  EXPECT_EQ(r->error, R"({"metadata":{},"status":"Success"})");
}

TEST_F(StreamingServerTest, WebSocketV4Base64) {
  WsExecOptions o;
  o.protocols = {"v4.base64.channel.k8s.io"};
  auto r = WsExec(server_->port(), ExecPath(kExit7, false), o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->protocol, "v4.base64.channel.k8s.io");
  EXPECT_EQ(r->stdout, "out\n");
  EXPECT_EQ(r->stderr, "err\n");
  ExpectExitCode7(r->error);
  EXPECT_TRUE(r->closed_channels.empty());  // only v5 closes channels
}

TEST_F(StreamingServerTest, UnknownTokenIs404) {
  auto r = SpdyExec(server_->port(), "/exec/0123456789abcdef0123456789abcdef", ExecOptions{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->http_status, 404);
}

TEST_F(StreamingServerTest, ReusedTokenIs404) {
  std::string path = ExecPath({"true"}, false);
  auto first = SpdyExec(server_->port(), path, ExecOptions{});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->http_status, 101);
  auto second = WsExec(server_->port(), path, WsExecOptions{});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->http_status, 404);
}

TEST_F(StreamingServerTest, ExpiredTokenIs404) {
  auto now = std::make_shared<std::atomic<int64_t>>(1000);
  ServerOptions options;
  options.clock = [now] { return absl::FromUnixSeconds(now->load()); };
  StartServer(options);
  std::string path = ExecPath({"true"}, false);
  *now += 61;
  auto r = SpdyExec(server_->port(), path, ExecOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->http_status, 404);
}

TEST_F(StreamingServerTest, TokenForAnotherRouteIs404) {
  std::string path = ExecPath({"true"}, false);
  std::string attach = "/attach/" + path.substr(std::string("/exec/").size());
  auto r = SpdyExec(server_->port(), attach, ExecOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->http_status, 404);
}

TEST_F(StreamingServerTest, GetExecValidatesLikeCri) {
  StreamRequest r;
  r.container_id = "c1";
  r.cmd = {"true"};
  r.tty = true;
  r.stdout = r.stderr = true;
  EXPECT_TRUE(absl::IsInvalidArgument(server_->GetExec(r).status()));
  r.tty = r.stdout = r.stderr = false;
  EXPECT_TRUE(absl::IsInvalidArgument(server_->GetExec(r).status()));
  r.stdout = true;
  r.container_id.clear();
  EXPECT_TRUE(absl::IsInvalidArgument(server_->GetExec(r).status()));
  StreamRequest pf;
  EXPECT_TRUE(absl::IsInvalidArgument(server_->GetPortForward(pf).status()));
}

// Forwards `payloads` over one SPDY session, `batch` connections at a time.
void ForwardBatches(uint16_t server_port, const std::string& path, int32_t target, int total,
                    int batch) {
  testing::UpgradeResponse res;
  auto c = SpdyTestClient::Connect(server_port, "POST", path, {"portforward.k8s.io"}, &res);
  ASSERT_TRUE(c.ok() && *c) << res.status;
  EXPECT_EQ(res.headers["x-stream-protocol-version"], "portforward.k8s.io");
  SpdyTestClient& client = **c;
  int next = 0;
  while (next < total) {
    std::vector<std::tuple<uint32_t, uint32_t, std::string>> open;
    for (int i = 0; i < batch && next < total; ++i, ++next) {
      const std::string id = std::to_string(next);
      spdy::HeaderBlock h = {{"streamType", "error"}, {"port", std::to_string(target)}, {"requestID", id}};
      auto err = client.OpenStream(h, true);  // we never write to the error stream
      h[0].second = "data";
      auto data = client.OpenStream(h, false);
      ASSERT_TRUE(err.ok() && data.ok());
      std::string payload = absl::StrCat("request ", id, " ", std::string(next * 100, 'p'));
      ASSERT_TRUE(client.SendData(*data, payload, true).ok());
      open.emplace_back(*err, *data, payload);
    }
    ASSERT_TRUE(client.Pump([&] {
      for (auto& [e, d, p] : open) {
        if (!client.stream(d).fin || !client.stream(e).fin) return false;
      }
      return true;
    }, absl::Seconds(30)).ok());
    for (auto& [e, d, p] : open) {
      EXPECT_EQ(client.stream(d).data, p);
      EXPECT_EQ(client.stream(e).data, "");
    }
  }
}

TEST_F(StreamingServerTest, PortForwardSequentialAndParallel) {
  EchoServer echo;
  StreamRequest r;
  r.pod_sandbox_id = "pod1";
  ForwardBatches(server_->port(), Path(server_->GetPortForward(r)), echo.port(), 50, 1);
  ForwardBatches(server_->port(), Path(server_->GetPortForward(r)), echo.port(), 10, 10);
}

TEST_F(StreamingServerTest, PortForwardToClosedPortReportsError) {
  const int closed_port = UnusedPort();

  StreamRequest r;
  r.pod_sandbox_id = "pod1";
  testing::UpgradeResponse res;
  auto c = SpdyTestClient::Connect(server_->port(), "POST", Path(server_->GetPortForward(r)),
                                   {"portforward.k8s.io"}, &res);
  ASSERT_TRUE(c.ok() && *c);
  spdy::HeaderBlock h = {{"streamType", "error"}, {"port", std::to_string(closed_port)}, {"requestID", "0"}};
  auto err = (*c)->OpenStream(h, true);
  h[0].second = "data";
  auto data = (*c)->OpenStream(h, false);
  ASSERT_TRUE(err.ok() && data.ok());
  ASSERT_TRUE((*c)->Pump([&] { return (*c)->stream(*err).fin; }, absl::Seconds(10)).ok());
  EXPECT_TRUE(absl::StrContains((*c)->stream(*err).data, "error forwarding port"))
      << (*c)->stream(*err).data;
}

}  // namespace
}  // namespace silo::cri::streaming

namespace silo::cri::streaming {
namespace {

TEST(StreamingServerVanishTest, PortForwardEndsWhenClientLeavesAndTargetStaysSilent) {
  // A listener that never accepts: connects complete in the backlog, and the
  // target neither reads, writes nor closes.
  int silent = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(silent, 4), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(silent, reinterpret_cast<sockaddr*>(&addr), &len);

  ObservedRuntime runtime;
  auto server = Server::Start(ServerOptions{}, &runtime);
  ASSERT_TRUE(server.ok());
  StreamRequest req;
  req.pod_sandbox_id = "pod1";
  auto url = (*server)->GetPortForward(req);
  ASSERT_TRUE(url.ok());
  {
    testing::UpgradeResponse res;
    auto c = SpdyTestClient::Connect((*server)->port(), "POST",
                                     url->substr((*server)->BaseUrl().size()),
                                     {"portforward.k8s.io"}, &res);
    ASSERT_TRUE(c.ok() && *c);
    spdy::HeaderBlock h = {{"streamType", "error"}, {"port", std::to_string(ntohs(addr.sin_port))},
                           {"requestID", "0"}};
    ASSERT_TRUE((*c)->OpenStream(h, true).ok());
    h[0].second = "data";
    auto data = (*c)->OpenStream(h, false);
    ASSERT_TRUE(data.ok());
    ASSERT_TRUE((*c)->SendData(*data, "hello?", false).ok());
    // Both SYN_REPLYs mean the server has the pair.
    ASSERT_TRUE((*c)->Pump([&] { return (*c)->stream(*data).replied; }, absl::Seconds(10)).ok());
  }
  EXPECT_TRUE(runtime.forward_returned.WaitForNotificationWithTimeout(absl::Seconds(20)));
  ::close(silent);
}

TEST(StreamingServerWebSocketPortForwardTest, TwoPortsEchoAndError) {
  EchoServer echo;
  testing::HostProcessRuntime runtime;
  auto server = Server::Start(ServerOptions{}, &runtime);
  ASSERT_TRUE(server.ok());
  StreamRequest req;
  req.pod_sandbox_id = "pod1";
  auto url = (*server)->GetPortForward(req);
  ASSERT_TRUE(url.ok());
  const int closed_port = UnusedPort();
  std::string path = absl::StrCat(url->substr((*server)->BaseUrl().size()),
                                  "?ports=", echo.port(), "&ports=", closed_port);
  testing::UpgradeResponse res;
  auto c = testing::WsTestClient::Connect((*server)->port(), "GET", path,
                                          {"v4.channel.k8s.io"}, &res);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(*c) << res.status;
  testing::WsTestClient& client = **c;
  EXPECT_TRUE(client.accept_ok());
  EXPECT_EQ(client.protocol(), "v4.channel.k8s.io");
  const std::string echo_le = {char(echo.port() & 0xff), char(echo.port() >> 8)};
  ASSERT_TRUE(client.SendChannel(0, "through the websocket").ok());
  ASSERT_TRUE(client.Pump([&] {
    return client.channels()[0].size() >= 2 + 21 && client.channels()[3].size() > 2;
  }, absl::Seconds(10)).ok());
  EXPECT_EQ(client.channels()[0], echo_le + "through the websocket");
  EXPECT_EQ(client.channels()[1], echo_le);
  EXPECT_EQ(client.channels()[2].substr(0, 2),
            std::string({char(closed_port & 0xff), char(closed_port >> 8)}));
  EXPECT_TRUE(absl::StrContains(client.channels()[3],
                                absl::StrCat("error forwarding port ", closed_port)))
      << client.channels()[3];
}

TEST(StreamingServerWebSocketPortForwardTest, MissingPortsIs400) {
  testing::HostProcessRuntime runtime;
  auto server = Server::Start(ServerOptions{}, &runtime);
  ASSERT_TRUE(server.ok());
  StreamRequest req;
  req.pod_sandbox_id = "pod1";
  auto url = (*server)->GetPortForward(req);
  ASSERT_TRUE(url.ok());
  testing::UpgradeResponse res;
  auto c = testing::WsTestClient::Connect((*server)->port(), "GET",
                                          url->substr((*server)->BaseUrl().size()),
                                          {"v4.channel.k8s.io"}, &res);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(res.status, 400);
}

}  // namespace
}  // namespace silo::cri::streaming

namespace silo::cri::streaming {
namespace {

TEST(StreamingServerIdleTest, IdleSessionIsClosedAndProcessSeesEof) {
  ObservedRuntime runtime;
  ServerOptions options;
  options.idle_timeout = absl::Seconds(1);
  auto server = Server::Start(options, &runtime);
  ASSERT_TRUE(server.ok());
  StreamRequest req;
  req.container_id = "c1";
  req.cmd = {"cat"};
  req.stdin = req.stdout = true;
  auto url = (*server)->GetExec(req);
  ASSERT_TRUE(url.ok());
  testing::UpgradeResponse res;
  auto c = SpdyTestClient::Connect((*server)->port(), "POST",
                                   url->substr((*server)->BaseUrl().size()),
                                   {"v4.channel.k8s.io"}, &res);
  ASSERT_TRUE(c.ok() && *c);
  for (const char* type : {"error", "stdin", "stdout"}) {
    ASSERT_TRUE((*c)->OpenStream({{"streamType", type}}, false).ok());
  }
  // Nothing more is sent: the server gives up after the idle timeout.
  ASSERT_TRUE((*c)->Pump([&] { return (*c)->goaway(); }, absl::Seconds(20)).ok());
  ASSERT_TRUE(runtime.returned.WaitForNotificationWithTimeout(absl::Seconds(20)));
  EXPECT_EQ(runtime.exit_code, 0);  // cat saw EOF on stdin
}

}  // namespace
}  // namespace silo::cri::streaming

namespace silo::cri::streaming {
namespace {

int PlainStatus(uint16_t port, const std::string& method, const std::string& path) {
  auto c = testing::ClientConn::Dial(port);
  EXPECT_TRUE(c.ok());
  auto res = (*c)->Upgrade(method, path, {});
  EXPECT_TRUE(res.ok()) << res.status();
  return res.ok() ? res->status : 0;
}

TEST_F(StreamingServerTest, PlainRequestsAreRejected) {
  EXPECT_EQ(PlainStatus(server_->port(), "GET", ExecPath({"true"}, false)), 400);  // no upgrade
  EXPECT_EQ(PlainStatus(server_->port(), "DELETE", ExecPath({"true"}, false)), 405);
  EXPECT_EQ(PlainStatus(server_->port(), "GET", "/logs/abc"), 404);
  EXPECT_EQ(PlainStatus(server_->port(), "GET", "/exec"), 404);
  auto c = testing::ClientConn::Dial(server_->port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Send("NOT HTTP AT ALL\r\n\r\n").ok());
  while ((*c)->Recv(absl::Seconds(10))) {
  }
  EXPECT_TRUE(absl::StartsWith((*c)->buffer(), "HTTP/1.1 400")) << (*c)->buffer();
}

}  // namespace
}  // namespace silo::cri::streaming
