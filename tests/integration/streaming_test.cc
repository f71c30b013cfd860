// Exec and PortForward through the real silod, silo-shim and runc:
// the CRI RPCs hand out URLs on silod's streaming server, and the test
// clients in cri/streaming/testing speak SPDY/3.1 and WebSocket to them like
// kubectl does. The pod is host-network (ContainerPodTest), so port-forward
// reaches busybox httpd on the host's loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cri/streaming/testing/spdy_client.h"
#include "cri/streaming/testing/ws_client.h"
#include "runtime/base/file_util.h"
#include "tests/support/container_pod.h"
#include "tests/support/stream_wire_client.h"

namespace silo::testing {
namespace {

namespace st = ::silo::cri::streaming::testing;
namespace spdy = ::silo::cri::streaming::spdy;

constexpr char kSuccess[] = R"({"metadata":{},"status":"Success"})";

// "http://127.0.0.1:PORT/exec/TOKEN" -> (PORT, "/exec/TOKEN").
std::pair<uint16_t, std::string> SplitUrl(const std::string& url) {
  std::string rest = url.substr(url.find("://") + 3);
  size_t slash = rest.find('/');
  std::string host_port = rest.substr(0, slash);
  uint32_t port = 0;
  EXPECT_TRUE(absl::SimpleAtoi(host_port.substr(host_port.rfind(':') + 1), &port)) << url;
  return {static_cast<uint16_t>(port), rest.substr(slash)};
}

// A port that was free a moment ago (the kernel's choice).
uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool Accepts(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

class StreamingIntegrationTest : public ContainerPodTest {
 protected:
  // Creates and starts a container running `command`.
  std::string Run(const std::string& name, std::vector<std::string> command) {
    std::string id;
    grpc::Status s = Create(Config(name, std::move(command)), &id);
    EXPECT_TRUE(s.ok()) << s.error_message();
    s = Start(id);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return id;
  }

  grpc::Status ExecUrl(const std::string& id, std::vector<std::string> cmd, bool in, bool out, bool err, bool tty,
                       std::string* url) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    ::runtime::v1::ExecRequest req;
    req.set_container_id(id);
    for (auto& a : cmd) req.add_cmd(a);
    req.set_stdin(in);
    req.set_stdout(out);
    req.set_stderr(err);
    req.set_tty(tty);
    ::runtime::v1::ExecResponse resp;
    grpc::Status s = rt_->Exec(&ctx, req, &resp);
    *url = resp.url();
    return s;
  }

  std::string MustExecUrl(const std::string& id, std::vector<std::string> cmd, bool in, bool tty = false) {
    std::string url;
    grpc::Status s = ExecUrl(id, std::move(cmd), in, true, !tty, tty, &url);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_TRUE(absl::StartsWith(url, "http://127.0.0.1:")) << url;
    return url;
  }

  std::string PortForwardUrl(const std::string& sandbox_id, grpc::Status* status) {
    grpc::ClientContext ctx;
    ::runtime::v1::PortForwardRequest req;
    req.set_pod_sandbox_id(sandbox_id);
    ::runtime::v1::PortForwardResponse resp;
    *status = rt_->PortForward(&ctx, req, &resp);
    return resp.url();
  }
};

const std::vector<std::string> kExit7 = {"sh", "-c", "echo out; echo err >&2; exit 7"};

void ExpectExitCode7(const std::string& error) {
  EXPECT_TRUE(absl::StrContains(error, R"("reason":"NonZeroExitCode")")) << error;
  EXPECT_TRUE(absl::StrContains(error, R"("reason":"ExitCode","message":"7")") ||
              absl::StrContains(error, R"("message":"7","reason":"ExitCode")"))
      << error;
}

TEST_F(StreamingIntegrationTest, ExecOverSpdyV4AndWebSocketV5ReportsOutputAndExitCode) {
  std::string id = Run("exec-target", {"/bin/busybox", "sleep", "1000"});

  auto [port, path] = SplitUrl(MustExecUrl(id, kExit7, false));
  auto spdy_result = st::SpdyExec(port, path, st::ExecOptions{});
  ASSERT_TRUE(spdy_result.ok()) << spdy_result.status();
  EXPECT_EQ(spdy_result->http_status, 101);
  EXPECT_EQ(spdy_result->protocol, "v4.channel.k8s.io");
  EXPECT_EQ(spdy_result->stdout, "out\n");
  EXPECT_EQ(spdy_result->stderr, "err\n");
  ExpectExitCode7(spdy_result->error);

  auto [ws_port, ws_path] = SplitUrl(MustExecUrl(id, kExit7, false));
  auto ws_result = st::WsExec(ws_port, ws_path, st::WsExecOptions{});
  ASSERT_TRUE(ws_result.ok()) << ws_result.status();
  EXPECT_EQ(ws_result->http_status, 101);
  EXPECT_TRUE(ws_result->accept_ok);
  EXPECT_EQ(ws_result->protocol, "v5.channel.k8s.io");
  EXPECT_EQ(ws_result->stdout, "out\n");
  EXPECT_EQ(ws_result->stderr, "err\n");
  ExpectExitCode7(ws_result->error);
  EXPECT_EQ(ws_result->close_code, 1000);

  // A URL is good for one session only.
  auto reused = st::WsExec(ws_port, ws_path, st::WsExecOptions{});
  ASSERT_TRUE(reused.ok()) << reused.status();
  EXPECT_EQ(reused->http_status, 404);
  auto unknown = st::SpdyExec(port, "/exec/0123456789abcdef0123456789abcdef", st::ExecOptions{});
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_EQ(unknown->http_status, 404);
}

TEST_F(StreamingIntegrationTest, ExecPipesStdinThroughCat) {
  std::string id = Run("cat-target", {"/bin/busybox", "sleep", "1000"});
  st::ExecOptions o;
  o.stdin = true;
  o.stdin_data = std::string(300000, 'x') + "\nend\n";  // more than a pipe buffer
  auto [port, path] = SplitUrl(MustExecUrl(id, {"sh", "-c", "cat"}, true));
  auto r = st::SpdyExec(port, path, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout.size(), o.stdin_data.size());
  EXPECT_TRUE(r->stdout == o.stdin_data);
  EXPECT_EQ(r->error, kSuccess);

  st::WsExecOptions w;
  w.send_stdin = true;
  w.close_stdin = true;
  w.stdin_data = "ping over websocket\n";
  auto [ws_port, ws_path] = SplitUrl(MustExecUrl(id, {"sh", "-c", "cat"}, true));
  auto wr = st::WsExec(ws_port, ws_path, w);
  ASSERT_TRUE(wr.ok()) << wr.status();
  EXPECT_EQ(wr->stdout, w.stdin_data);
  EXPECT_EQ(wr->error, kSuccess);
}

TEST_F(StreamingIntegrationTest, AttachEchoesStdinAndReportsTheExit) {
  ::runtime::v1::ContainerConfig cfg =
      Config("attach-target", {"sh", "-c", "while read l; do echo \"got $l\"; [ \"$l\" = quit ] && exit 5; done; exit 6"});
  cfg.set_stdin(true);
  cfg.set_stdin_once(true);
  std::string id;
  ASSERT_TRUE(Create(cfg, &id).ok());
  ASSERT_TRUE(Start(id).ok());
  auto attach_url = [&](bool in, std::string* url) {
    grpc::ClientContext ctx;
    ::runtime::v1::AttachRequest req;
    req.set_container_id(id);
    req.set_stdin(in);
    req.set_stdout(true);
    req.set_stderr(true);
    ::runtime::v1::AttachResponse resp;
    grpc::Status s = rt_->Attach(&ctx, req, &resp);
    *url = resp.url();
    return s;
  };
  std::string url;
  ASSERT_TRUE(attach_url(true, &url).ok());
  st::ExecOptions o;
  o.stdin = true;
  o.stdin_data = "hello\nquit\n";
  auto [port, path] = SplitUrl(url);
  EXPECT_TRUE(absl::StartsWith(path, "/attach/")) << path;
  auto r = st::SpdyExec(port, path, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout, "got hello\ngot quit\n");
  EXPECT_TRUE(absl::StrContains(r->error, R"("reason":"NonZeroExitCode")")) << r->error;
  EXPECT_TRUE(absl::StrContains(r->error, R"("message":"5")")) << r->error;
  EXPECT_EQ(WaitState(id, ::runtime::v1::CONTAINER_EXITED).exit_code(), 5);
  // The CRI log still has everything the attach saw.
  EXPECT_EQ(attach_url(false, &url).error_code(), grpc::StatusCode::FAILED_PRECONDITION) << "the container exited";

  // Stdin cannot be attached to a container created without it.
  std::string plain = Run("attach-no-stdin", {"/bin/busybox", "sleep", "1000"});
  id = plain;
  EXPECT_EQ(attach_url(true, &url).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(attach_url(false, &url).ok());
}

// The same sessions through a client written independently of the server
// (tests/support/stream_wire_client.h), so the two cannot share a misreading.
TEST_F(StreamingIntegrationTest, IndependentClientAgreesOnExecAndAttach) {
  std::string id = Run("wire-target", {"/bin/busybox", "sleep", "1000"});
  auto [port, path] = SplitUrl(MustExecUrl(id, kExit7, false));
  auto spdy = wire::SpdySession(port, path, {});
  ASSERT_TRUE(spdy.ok()) << spdy.status();
  EXPECT_EQ(spdy->http_status, 101);
  EXPECT_EQ(spdy->protocol, "v4.channel.k8s.io");
  EXPECT_EQ(spdy->stdout, "out\n");
  EXPECT_EQ(spdy->stderr, "err\n");
  ExpectExitCode7(spdy->error);

  auto [ws_port, ws_path] = SplitUrl(MustExecUrl(id, kExit7, false));
  auto ws = wire::WebSocketSession(ws_port, ws_path, {});
  ASSERT_TRUE(ws.ok()) << ws.status();
  EXPECT_EQ(ws->http_status, 101);
  EXPECT_EQ(ws->protocol, "v5.channel.k8s.io");
  EXPECT_EQ(ws->stdout, "out\n");
  EXPECT_EQ(ws->stderr, "err\n");
  ExpectExitCode7(ws->error);
  EXPECT_EQ(ws->close_code, 1000);

  wire::SessionOptions in;
  in.stdin = true;
  in.stdin_data = std::string(200000, 'y') + "\n";
  auto [cat_port, cat_path] = SplitUrl(MustExecUrl(id, {"sh", "-c", "cat"}, true));
  auto cat = wire::SpdySession(cat_port, cat_path, in);
  ASSERT_TRUE(cat.ok()) << cat.status();
  EXPECT_TRUE(cat->stdout == in.stdin_data) << cat->stdout.size();
  EXPECT_EQ(cat->error, kSuccess);
  auto [wcat_port, wcat_path] = SplitUrl(MustExecUrl(id, {"sh", "-c", "cat"}, true));
  auto wcat = wire::WebSocketSession(wcat_port, wcat_path, in);
  ASSERT_TRUE(wcat.ok()) << wcat.status();
  EXPECT_TRUE(wcat->stdout == in.stdin_data) << wcat->stdout.size();

  // Attach with stdin to a container that echoes it.
  ::runtime::v1::ContainerConfig cfg =
      Config("wire-attach", {"sh", "-c", "while read l; do echo \"got $l\"; [ \"$l\" = quit ] && exit 4; done"});
  cfg.set_stdin(true);
  cfg.set_stdin_once(true);
  std::string attached;
  ASSERT_TRUE(Create(cfg, &attached).ok());
  ASSERT_TRUE(Start(attached).ok());
  grpc::ClientContext ctx;
  ::runtime::v1::AttachRequest req;
  req.set_container_id(attached);
  req.set_stdin(true);
  req.set_stdout(true);
  req.set_stderr(true);
  ::runtime::v1::AttachResponse resp;
  ASSERT_TRUE(rt_->Attach(&ctx, req, &resp).ok());
  auto [a_port, a_path] = SplitUrl(resp.url());
  wire::SessionOptions a;
  a.stdin = true;
  a.stdin_data = "one\nquit\n";
  auto att = wire::WebSocketSession(a_port, a_path, a);
  ASSERT_TRUE(att.ok()) << att.status();
  EXPECT_EQ(att->stdout, "got one\ngot quit\n");
  EXPECT_TRUE(absl::StrContains(att->error, R"("message":"4")")) << att->error;
}

TEST_F(StreamingIntegrationTest, ExpiredUrlsAreRejected) {
  extra_yaml_ = "streaming: {token_ttl: 1s}\n";
  ASSERT_EQ(silod_->Stop(kSigTerm), 0);
  StartSilod();
  std::string id = Run("ttl-target", {"/bin/busybox", "sleep", "1000"});
  auto [port, path] = SplitUrl(MustExecUrl(id, kExit7, false));
  auto [fresh_port, fresh_path] = SplitUrl(MustExecUrl(id, kExit7, false));
  auto fresh = wire::SpdySession(fresh_port, fresh_path, {});
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(fresh->http_status, 101) << "a URL used in time works";
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // past the 1 s lifetime
  auto late = wire::SpdySession(port, path, {});
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_EQ(late->http_status, 404);
}

TEST_F(StreamingIntegrationTest, ExecWithTtyAppliesResize) {
  std::string id = Run("tty-target", {"/bin/busybox", "sleep", "1000"});
  st::ExecOptions o;
  o.tty = true;
  o.stdin = true;
  o.stderr = false;
  o.resize = std::make_pair(123, 45);
  o.stdin_data = "go\n";
  auto [port, path] = SplitUrl(MustExecUrl(id, {"sh", "-c", "read x; stty size"}, true, /*tty=*/true));
  auto r = st::SpdyExec(port, path, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(absl::StrContains(r->stdout, "45 123")) << r->stdout;
  EXPECT_EQ(r->error, kSuccess);
}

// kubectl run -it / kubectl attach -it: the main process runs on a terminal
// the attach sizes and types into; what it prints is also logged (stdout).
TEST_F(StreamingIntegrationTest, AttachToATtyContainerSizesItsTerminalAndLogsWhatItPrints) {
  ::runtime::v1::ContainerConfig cfg = Config("tty-main", {"sh"});
  cfg.set_stdin(true);
  cfg.set_stdin_once(true);
  cfg.set_tty(true);
  std::string id;
  ASSERT_TRUE(Create(cfg, &id).ok());
  ASSERT_TRUE(Start(id).ok());
  auto attach_url = [&](const std::string& target, bool tty, std::string* url) {
    grpc::ClientContext ctx;
    ::runtime::v1::AttachRequest req;
    req.set_container_id(target);
    req.set_stdin(true);
    req.set_stdout(true);
    req.set_stderr(!tty);
    req.set_tty(tty);
    ::runtime::v1::AttachResponse resp;
    grpc::Status s = rt_->Attach(&ctx, req, &resp);
    *url = resp.url();
    return s;
  };
  std::string url;
  ASSERT_TRUE(attach_url(id, true, &url).ok());
  st::ExecOptions o;
  o.tty = true;
  o.stdin = true;
  o.stderr = false;
  o.resize = std::make_pair(120, 40);
  o.stdin_data = "tty; stty size; echo $((6*7)) >&2; exit 3\n";
  auto [port, path] = SplitUrl(url);
  auto r = st::SpdyExec(port, path, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(absl::StrContains(r->stdout, "/dev/pts/0\r\n")) << r->stdout;
  EXPECT_TRUE(absl::StrContains(r->stdout, "40 120\r\n")) << r->stdout;
  EXPECT_TRUE(absl::StrContains(r->stdout, "42\r\n")) << r->stdout;
  EXPECT_TRUE(absl::StrContains(r->error, R"("message":"3")")) << r->error;
  EXPECT_EQ(WaitState(id, ::runtime::v1::CONTAINER_EXITED).exit_code(), 3);
  auto log = ReadFile(logs_.path() + "/tty-main/0.log");
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_TRUE(absl::StrContains(*log, " stdout F 42\n")) << *log;  // the log writer drops the "\r"
  EXPECT_FALSE(absl::StrContains(*log, " stderr ")) << "a terminal merges the streams:\n" << *log;

  // A terminal cannot be asked of a container created without one.
  ::runtime::v1::ContainerConfig plain_cfg = Config("no-tty", {"/bin/busybox", "sleep", "1000"});
  plain_cfg.set_stdin(true);
  std::string plain;
  ASSERT_TRUE(Create(plain_cfg, &plain).ok());
  ASSERT_TRUE(Start(plain).ok());
  grpc::Status refused = attach_url(plain, true, &url);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(refused.error_message(), "without tty")) << refused.error_message();
  EXPECT_TRUE(attach_url(plain, false, &url).ok());
}

TEST_F(StreamingIntegrationTest, ExecValidatesLikeCri) {
  std::string id = Run("validate-target", {"/bin/busybox", "sleep", "1000"});
  std::string url;
  EXPECT_EQ(ExecUrl(id, {"true"}, false, true, true, /*tty=*/true, &url).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ExecUrl(id, {"true"}, false, false, false, false, &url).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ExecUrl("no-such-container", {"true"}, false, true, false, false, &url).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(Stop(id, 0).ok());
  EXPECT_EQ(ExecUrl(id, {"true"}, false, true, false, false, &url).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  grpc::Status s;
  PortForwardUrl("no-such-sandbox", &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
}

// Forwards `total` HTTP requests over one SPDY session, `batch` at a time.
void FetchBatches(uint16_t server_port, const std::string& path, uint16_t target, int total, int batch) {
  st::UpgradeResponse res;
  auto c = st::SpdyTestClient::Connect(server_port, "POST", path, {"portforward.k8s.io"}, &res);
  ASSERT_TRUE(c.ok() && *c) << res.status;
  st::SpdyTestClient& client = **c;
  int next = 0;
  while (next < total) {
    std::vector<std::pair<uint32_t, uint32_t>> open;
    for (int i = 0; i < batch && next < total; ++i, ++next) {
      spdy::HeaderBlock h = {{"streamType", "error"}, {"port", std::to_string(target)},
                             {"requestID", std::to_string(next)}};
      auto err = client.OpenStream(h, true);
      h[0].second = "data";
      auto data = client.OpenStream(h, false);
      ASSERT_TRUE(err.ok() && data.ok());
      ASSERT_TRUE(client.SendData(*data, "GET /index.html HTTP/1.0\r\n\r\n", true).ok());
      open.emplace_back(*err, *data);
    }
    ASSERT_TRUE(client
                    .Pump(
                        [&] {
                          for (auto& [e, d] : open) {
                            if (!client.stream(d).fin || !client.stream(e).fin) return false;
                          }
                          return true;
                        },
                        absl::Seconds(30))
                    .ok());
    for (auto& [e, d] : open) {
      EXPECT_TRUE(absl::StartsWith(client.stream(d).data, "HTTP/1.") && absl::StrContains(client.stream(d).data, " 200 OK"))
          << client.stream(d).data;
      EXPECT_TRUE(absl::StrContains(client.stream(d).data, "hello from httpd")) << client.stream(d).data;
      EXPECT_EQ(client.stream(e).data, "");
    }
  }
}

TEST_F(StreamingIntegrationTest, PortForwardReachesHttpdSequentiallyAndInParallel) {
  uint16_t port = FreePort();
  Run("httpd", {"/bin/sh", "-c",
                absl::StrCat("mkdir -p /tmp/www && echo 'hello from httpd' > /tmp/www/index.html && "
                             "httpd -f -p 127.0.0.1:",
                             port, " -h /tmp/www")});
  // httpd listens once it has started; wait for that (bounded).
  bool up = false;
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
       !up && std::chrono::steady_clock::now() < until;) {
    up = Accepts(port);
    if (!up) ::poll(nullptr, 0, 50);
  }
  ASSERT_TRUE(up) << "httpd never listened on " << port;

  grpc::Status s;
  auto [server_port, path] = SplitUrl(PortForwardUrl(pod_id_, &s));
  ASSERT_TRUE(s.ok()) << s.error_message();
  FetchBatches(server_port, path, port, 50, 1);
  auto [server_port2, path2] = SplitUrl(PortForwardUrl(pod_id_, &s));
  ASSERT_TRUE(s.ok()) << s.error_message();
  FetchBatches(server_port2, path2, port, 10, 10);
}

}  // namespace
}  // namespace silo::testing
