#include "metrics/exposer.h"

#include <curl/curl.h>

#include "gtest/gtest.h"

namespace silo::metrics {
namespace {

size_t Append(char* p, size_t s, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, s * n);
  return s * n;
}

std::string Get(const std::string& url, long* code) {
  std::string body;
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
  curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
  curl_easy_cleanup(c);
  return body;
}

TEST(MetricsServerTest, ServesRegistryOnAnEphemeralPort) {
  Metrics m;
  m.ObserveCriRequest("ImageService", "ListImages", "OK", 0.01);
  auto server = MetricsServer::Start("127.0.0.1:0", m);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);
  long code = 0;
  std::string body = Get("http://127.0.0.1:" + std::to_string((*server)->port()) + "/metrics", &code);
  EXPECT_EQ(code, 200);
  EXPECT_NE(body.find("rpc=\"ListImages\""), std::string::npos) << body;
  EXPECT_NE(body.find("process_open_fds"), std::string::npos);
}

TEST(MetricsServerTest, BusyPortIsAClearError) {
  Metrics m;
  auto first = MetricsServer::Start("127.0.0.1:0", m);
  ASSERT_TRUE(first.ok());
  auto second = MetricsServer::Start("127.0.0.1:" + std::to_string((*first)->port()), m);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("cannot listen"), std::string::npos);
}

}  // namespace
}  // namespace silo::metrics
