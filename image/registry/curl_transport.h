#pragma once
// CurlTransport: HttpTransport over libcurl (see http_transport.h for the
// contract). TLS peers are verified against the system CA store unless the
// host is listed in `skip_verify_hosts` (a private registry with a
// self-signed certificate). Plain-http registries need nothing here: the
// client picks the scheme of the URL.
//
// Timeouts: `connect_timeout` per connection attempt, and a stall rule: a
// transfer slower than `low_speed_bytes_per_sec` for `stall_timeout` is
// aborted (DeadlineExceeded), so a hung layer download fails instead of
// blocking a pull forever while a slow but moving one completes.
//
// Thread-safe: each Do() uses its own easy handle. curl_global_init runs once
// on first construction.

#include <chrono>
#include <cstdint>
#include <set>
#include <string>

#include "image/registry/http_transport.h"

namespace silo::image::registry {

struct CurlTransportOptions {
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds stall_timeout{std::chrono::seconds(60)};
  long low_speed_bytes_per_sec = 1;
  // Cap on the receive rate of each transfer (bytes/s); 0 = none. For nodes
  // on thin links, where a pull must not starve the kubelet's own traffic.
  int64_t max_recv_bytes_per_sec = 0;
  std::set<std::string> skip_verify_hosts;  // "host[:port]" as in the URL
  std::string user_agent = "silo/0.1";
};

class CurlTransport : public HttpTransport {
 public:
  explicit CurlTransport(CurlTransportOptions options = {});
  absl::StatusOr<HttpResponse> Do(HttpRequest request) override;

 private:
  // One request without redirect handling.
  absl::StatusOr<HttpResponse> DoOnce(const HttpRequest& request);

  CurlTransportOptions options_;
};

}  // namespace silo::image::registry
