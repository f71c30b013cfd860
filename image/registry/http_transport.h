#pragma once
// HttpTransport: the one seam between the registry client and an HTTP stack
// (libcurl on Linux, WinHTTP later on Windows). Everything above it, auth,
// retries, mirrors and manifest handling, is portable and testable here.
//
// Contract for implementations:
//  - Do() performs one request and returns the final response after following
//    up to kMaxRedirects redirects itself. When a redirect leaves the original
//    host (scheme, host or port differ) the Authorization header is dropped:
//    registries redirect blob downloads to storage (S3, CDN) with a signed
//    URL, and those hosts must never see the registry's credentials. 303, and
//    301/302 after a non-GET, continue as a GET without a body.
//  - A transport-level failure (DNS, connect, TLS, reset, stall, timeout) is an
//    error Status (Unavailable, or DeadlineExceeded for timeouts). Any HTTP
//    status, including 4xx/5xx, is an OK StatusOr whose `status` tells.
//  - Body delivery: with `body_sink` set, the body of a 2xx final response is
//    streamed to it in chunks and not kept; a non-OK return from the sink
//    aborts the transfer and Do() returns that Status. Bodies of other
//    responses (error documents) are buffered in `body`. Buffered bodies are
//    bounded by `max_body_bytes`; past it Do() fails with ResourceExhausted.
//  - Header names in HttpResponse are lowercased; values are trimmed.
//
// Implementations are thread-safe: Do() may be called concurrently.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace silo::image::registry {

inline constexpr int kMaxRedirects = 10;

// Receives chunks of a 2xx body. `status` is the response's HTTP status (so a
// resuming download can tell 206 from 200 before writing the first byte);
// `headers` are the final response's lowercased headers.
using BodySink =
    std::function<absl::Status(int status, const std::vector<std::pair<std::string, std::string>>& headers,
                               absl::string_view chunk)>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // "Accept", "Range", ...
  std::string body;                                          // sent when non-empty
  BodySink body_sink;                                        // optional streaming of 2xx bodies
  int64_t max_body_bytes = 1 << 20;                          // bound for buffered bodies
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // lowercased names, in order
  std::string body;                                          // empty when streamed
  std::string url;                                           // after redirects

  // First value of header `name` (lowercase), or "" when absent.
  std::string Header(absl::string_view name) const;
  // Every value of header `name` (e.g. several WWW-Authenticate lines).
  std::vector<std::string> Headers(absl::string_view name) const;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual absl::StatusOr<HttpResponse> Do(HttpRequest request) = 0;
};

// Helpers shared by implementations.

// Splits "scheme://host[:port]/..." into its origin "scheme://host[:port]"
// (lowercased scheme and host, default port made explicit) so two URLs can be
// compared for the redirect credential rule. "" for a malformed URL.
std::string UrlOrigin(absl::string_view url);

// The host[:port] part of a URL as written ("127.0.0.1:5000").
std::string UrlHostPort(absl::string_view url);

// Resolves a Location header against the URL it came from (absolute URL,
// "//host/path", "/path" or a relative path).
std::string ResolveLocation(absl::string_view base, absl::string_view location);

}  // namespace silo::image::registry
