#pragma once
// TestHttpServer: a tiny HTTP/1.1 server on 127.0.0.1 (ephemeral port) whose
// answers come from a test-supplied handler, for cases a real registry cannot
// produce on demand: 500 responses, bearer token flows, schema 1 or huge
// manifests. Each connection is served on its own thread; keep-alive is
// honoured. Test-only.
//
// Thread-safe; the handler may be called concurrently and must be too.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "runtime/base/mutex.h"

namespace silo::image::registry::testing {

struct TestRequest {
  std::string method;
  std::string target;                          // "/v2/x/manifests/y?z"
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
};

struct TestResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, the server announces the whole body but sends only this many
  // bytes, then goes silent until it is destroyed: a stalled transfer.
  std::optional<size_t> stall_after;
};

class TestHttpServer {
 public:
  using Handler = std::function<TestResponse(const TestRequest&)>;

  static absl::StatusOr<std::unique_ptr<TestHttpServer>> Start(Handler handler);
  ~TestHttpServer();

  int port() const { return port_; }
  std::string host() const;      // "127.0.0.1:PORT"
  std::string base_url() const;  // "http://127.0.0.1:PORT"

 private:
  struct Impl;
  TestHttpServer() = default;
  void AcceptLoop();
  void Serve(std::shared_ptr<void> socket);

  std::unique_ptr<Impl> impl_;
  Handler handler_;
  int port_ = 0;
  std::thread acceptor_thread_;
  silo::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> conn_threads_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<void>> sockets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace silo::image::registry::testing
