#include "image/registry/http_transport.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "runtime/base/mutex.h"
#include "image/registry/curl_transport.h"
#include "image/registry/testing/test_http_server.h"

namespace silo::image::registry {
namespace {

using testing::TestHttpServer;
using testing::TestRequest;
using testing::TestResponse;

HttpRequest Get(std::string url, std::vector<std::pair<std::string, std::string>> headers = {},
                int64_t max_body = 1 << 20) {
  HttpRequest r;
  r.url = std::move(url);
  r.headers = std::move(headers);
  r.max_body_bytes = max_body;
  return r;
}

TEST(UrlTest, OriginAndLocation) {
  EXPECT_EQ(UrlOrigin("HTTPS://Reg.io/v2/"), "https://reg.io:443");
  EXPECT_EQ(UrlOrigin("http://127.0.0.1:5000/v2"), "http://127.0.0.1:5000");
  EXPECT_EQ(UrlOrigin("http://[::1]/x"), "http://[::1]:80");
  EXPECT_EQ(ResolveLocation("http://a:1/v2/x/blobs/y", "/store/z"), "http://a:1/store/z");
  EXPECT_EQ(ResolveLocation("http://a:1/v2/x/blobs/y", "//b:2/z"), "http://b:2/z");
  EXPECT_EQ(ResolveLocation("http://a:1/v2/x/blobs/y", "z?q=1"), "http://a:1/v2/x/blobs/z?q=1");
  EXPECT_EQ(ResolveLocation("http://a:1/x", "https://c/d"), "https://c/d");
}

// A redirect to another host (blob storage) must not carry the registry's
// credentials; a redirect on the same host keeps them.
TEST(CurlTransportTest, RedirectDropsAuthorizationAcrossHosts) {
  silo::Mutex mu;
  std::vector<std::string> storage_auth;
  auto storage = TestHttpServer::Start([&](const TestRequest& r) {
    silo::MutexLock lock(&mu);
    storage_auth.push_back(r.headers.contains("authorization") ? r.headers.at("authorization") : "");
    return TestResponse{200, {}, "blob-bytes"};
  });
  ASSERT_TRUE(storage.ok());
  std::vector<std::string> registry_auth;
  auto registry = TestHttpServer::Start([&](const TestRequest& r) {
    silo::MutexLock lock(&mu);
    registry_auth.push_back(r.headers.contains("authorization") ? r.headers.at("authorization") : "");
    if (r.target == "/same") return TestResponse{307, {{"Location", "/final"}}, ""};
    if (r.target == "/final") return TestResponse{200, {}, "same-host"};
    return TestResponse{307, {{"Location", absl::StrCat((*storage)->base_url(), "/data")}}, ""};
  });
  ASSERT_TRUE(registry.ok());
  CurlTransport transport;

  std::string streamed;
  HttpRequest req = Get((*registry)->base_url() + "/v2/blob", {{"Authorization", "Bearer secret"}});
  req.body_sink = [&](int status, const auto&, absl::string_view chunk) {
    EXPECT_EQ(status, 200);
    streamed.append(chunk.data(), chunk.size());
    return absl::OkStatus();
  };
  auto resp = transport.Do(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(streamed, "blob-bytes");
  EXPECT_TRUE(resp->body.empty());

  auto same = transport.Do(Get((*registry)->base_url() + "/same", {{"Authorization", "Bearer secret"}}));
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->body, "same-host");

  silo::MutexLock lock(&mu);
  EXPECT_EQ(storage_auth, std::vector<std::string>{""});
  EXPECT_EQ(registry_auth, (std::vector<std::string>{"Bearer secret", "Bearer secret", "Bearer secret"}));
}

TEST(CurlTransportTest, BufferedBodyIsBoundedAndErrorsAreStatuses) {
  auto server = TestHttpServer::Start([](const TestRequest&) { return TestResponse{500, {}, std::string(2000, 'x')}; });
  ASSERT_TRUE(server.ok());
  CurlTransport transport;
  auto resp = transport.Do(Get((*server)->base_url() + "/", {}, 100));
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kResourceExhausted);
  auto ok = transport.Do(Get((*server)->base_url() + "/"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->status, 500);  // HTTP errors are responses, not transport failures
  int port = (*server)->port();
  server->reset();
  auto refused = transport.Do(Get(absl::StrCat("http://127.0.0.1:", port, "/")));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
}

TEST(CurlTransportTest, AStalledTransferIsAbortedAfterTheStallTimeout) {
  auto server = TestHttpServer::Start([](const TestRequest&) {
    TestResponse r{200, {}, std::string(100000, 'x')};
    r.stall_after = 1000;
    return r;
  });
  ASSERT_TRUE(server.ok());
  CurlTransportOptions o;
  o.stall_timeout = std::chrono::seconds(1);
  CurlTransport transport(o);
  auto resp = transport.Do(Get((*server)->base_url() + "/blob"));
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kDeadlineExceeded) << resp.status();
  EXPECT_NE(resp.status().message().find("/blob"), absl::string_view::npos) << resp.status();
}

TEST(CurlTransportTest, ReceiveRateCapStillDeliversEverything) {
  const std::string body(300000, 'y');
  auto server = TestHttpServer::Start([&](const TestRequest&) { return TestResponse{200, {}, body}; });
  ASSERT_TRUE(server.ok());
  CurlTransportOptions o;
  o.max_recv_bytes_per_sec = 1 << 20;
  CurlTransport transport(o);
  auto resp = transport.Do(Get((*server)->base_url() + "/"));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->body, body);
}

}  // namespace
}  // namespace silo::image::registry
