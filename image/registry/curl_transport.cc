#include "image/registry/curl_transport.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace silo::image::registry {
namespace {

struct Transfer {
  const HttpRequest* request;
  HttpResponse response;
  absl::Status sink_error;  // why a callback aborted the transfer
};

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  absl::string_view line(data, size * n);
  line = absl::StripTrailingAsciiWhitespace(line);
  if (absl::StartsWith(line, "HTTP/")) {
    // A new status line (after 100 Continue or an auth round) starts a fresh header set.
    t->response.headers.clear();
    absl::string_view rest = line.substr(line.find(' ') == absl::string_view::npos ? line.size() : line.find(' ') + 1);
    int code = 0;
    (void)absl::SimpleAtoi(rest.substr(0, 3), &code);
    t->response.status = code;
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    t->response.headers.emplace_back(absl::AsciiStrToLower(line.substr(0, colon)),
                                     std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  }
  return size * n;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  absl::string_view chunk(data, size * n);
  int status = t->response.status;
  if (t->request->body_sink && status >= 200 && status < 300) {
    absl::Status s = t->request->body_sink(status, t->response.headers, chunk);
    if (!s.ok()) {
      t->sink_error = std::move(s);
      return 0;
    }
    return chunk.size();
  }
  if (static_cast<int64_t>(t->response.body.size() + chunk.size()) > t->request->max_body_bytes) {
    t->sink_error = absl::ResourceExhaustedError(
        absl::StrCat("response body of ", t->request->url, " exceeds ", t->request->max_body_bytes, " bytes"));
    return 0;
  }
  t->response.body.append(chunk.data(), chunk.size());
  return chunk.size();
}

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

CurlTransport::CurlTransport(CurlTransportOptions options) : options_(std::move(options)) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

absl::StatusOr<HttpResponse> CurlTransport::Do(HttpRequest request) {
  const std::string first_origin = UrlOrigin(request.url);
  for (int hop = 0;; ++hop) {
    absl::StatusOr<HttpResponse> resp = DoOnce(request);
    if (!resp.ok()) return resp;
    int code = resp->status;
    std::string location = resp->Header("location");
    bool redirect = (code == 301 || code == 302 || code == 303 || code == 307 || code == 308) && !location.empty();
    if (!redirect) {
      resp->url = request.url;
      return resp;
    }
    if (hop >= kMaxRedirects) {
      return absl::UnavailableError(absl::StrCat("too many redirects fetching ", request.url));
    }
    std::string next = ResolveLocation(request.url, location);
    if (UrlOrigin(next) != first_origin) {
      std::erase_if(request.headers,
                    [](const auto& h) { return absl::AsciiStrToLower(h.first) == "authorization"; });
    }
    if (code == 303 || ((code == 301 || code == 302) && request.method != "GET" && request.method != "HEAD")) {
      request.method = "GET";
      request.body.clear();
    }
    request.url = std::move(next);
  }
}

absl::StatusOr<HttpResponse> CurlTransport::DoOnce(const HttpRequest& request) {
  std::unique_ptr<CURL, EasyDeleter> curl(curl_easy_init());
  if (!curl) return absl::InternalError("curl_easy_init failed");
  CURL* c = curl.get();
  Transfer t{&request, {}, absl::OkStatus()};
  char errbuf[CURL_ERROR_SIZE] = {0};

  std::unique_ptr<curl_slist, SlistDeleter> headers;
  for (const auto& [k, v] : request.headers) {
    curl_slist* l = curl_slist_append(headers.get(), absl::StrCat(k, ": ", v).c_str());
    if (l == nullptr) return absl::ResourceExhaustedError("curl_slist_append failed");
    (void)headers.release();
    headers.reset(l);
  }

  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // redirects are ours (credential rule)
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, options_.low_speed_bytes_per_sec);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME,
                   static_cast<long>(std::max<int64_t>(1, options_.stall_timeout.count() / 1000)));
  if (options_.max_recv_bytes_per_sec > 0) {
    curl_easy_setopt(c, CURLOPT_MAX_RECV_SPEED_LARGE, static_cast<curl_off_t>(options_.max_recv_bytes_per_sec));
  }
  bool skip_verify = options_.skip_verify_hosts.contains(UrlHostPort(request.url));
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, skip_verify ? 0L : 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, skip_verify ? 0L : 2L);
  if (request.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (!request.body.empty()) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }

  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    if (!t.sink_error.ok()) return t.sink_error;
    std::string what = absl::StrCat(request.method, " ", request.url, ": ", curl_easy_strerror(rc),
                                    errbuf[0] != '\0' ? absl::StrCat(" (", errbuf, ")") : "");
    if (rc == CURLE_OPERATION_TIMEDOUT) return absl::DeadlineExceededError(what);
    // A failed TLS handshake or an untrusted certificate fails the same way on
    // every attempt (typically a plain-HTTP registry not listed as insecure).
    if (rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CERTPROBLEM ||
        rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CIPHER) {
      return absl::FailedPreconditionError(absl::StrCat(
          what, "; if this registry speaks plain HTTP, list it under registry.insecure in silod's config"));
    }
    return absl::UnavailableError(what);
  }
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  t.response.status = static_cast<int>(code);
  return std::move(t.response);
}

}  // namespace silo::image::registry
