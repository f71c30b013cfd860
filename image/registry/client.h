#pragma once
// RegistryClient: pulls manifests and blobs over the OCI distribution API.
//
//  - Endpoints: for a reference on registry domain D, the mirrors configured
//    for D are tried first, in order, then D's own host (docker.io ->
//    registry-1.docker.io). Hosts in `insecure_hosts` are spoken to over
//    plain http; everything else over https.
//  - Auth: requests go out anonymously (or with a cached token); a 401 is
//    answered per its WWW-Authenticate challenge (Bearer: token from the
//    realm, cached per host and scope; Basic: the credentials) and retried
//    once. Without credentials for a Basic challenge, or when the registry
//    still refuses, the error is Unauthenticated and names the registry.
//  - Retries: 5xx, 429 and transport failures are retried with exponential
//    backoff (`backoff_base` * 2^n, capped), at most `max_attempts` tries per
//    endpoint. Other errors are final for that endpoint.
//  - Manifests: at most `max_manifest_bytes`; the bytes are checked against
//    the digest when pulled by digest and against Docker-Content-Digest when
//    the registry sends one. An index is resolved to one manifest with
//    SelectPlatform. Schema 1 is rejected (Unimplemented).
//  - Blobs stream into a ContentStore ingest named "fetch-<digest>"; an
//    interrupted download resumes from the ingest's offset with a Range
//    request (a 200 answer restarts it). Concurrent FetchBlob calls for the
//    same digest and store share one download. The store verifies size and
//    digest at commit (DataLoss on mismatch; nothing is committed).
//
// Thread-safe. `transport` must outlive the client.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/base/mutex.h"
#include "absl/time/time.h"
#include "image/content/content_store.h"
#include "image/content/single_flight.h"
#include "image/reference.h"
#include "image/registry/auth.h"
#include "image/registry/http_transport.h"
#include "image/registry/manifest.h"
#include "image/registry/platform.h"

namespace silo::image::registry {

inline constexpr int64_t kMaxManifestBytes = 4 << 20;

struct RegistryClientOptions {
  // Registry domain ("docker.io", "registry.k8s.io") -> mirror endpoints
  // ("https://mirror.local:5000", "http://127.0.0.1:5001"), tried in order.
  std::map<std::string, std::vector<std::string>> mirrors;
  // host[:port] reached over plain http.
  std::set<std::string> insecure_hosts;
  int max_attempts = 5;
  absl::Duration backoff_base = absl::Milliseconds(250);
  absl::Duration backoff_max = absl::Seconds(10);
  int64_t max_manifest_bytes = kMaxManifestBytes;
  // Credentials for a host (mirrors, or registries without per-call auth).
  std::function<std::optional<AuthConfig>(const std::string& host)> credentials;
};

struct ResolvedImage {
  std::string endpoint;           // base URL that served it
  Digest digest;                  // what the reference resolved to (index or manifest): the repo digest
  std::string media_type;         // of that document
  std::string docker_content_digest;  // the header as sent, "" if absent
  std::string index_body;         // set when the reference named an index
  Digest manifest_digest;         // the selected image manifest
  std::string manifest_media_type;
  std::string manifest_body;
  Manifest manifest;
  std::optional<Platform> platform;  // of the selected index entry
};

// Whether `host_port` ("localhost:5000", "127.0.0.2", "[::1]:5000") names
// the loopback: localhost, 127.0.0.0/8 or ::1. Such registries are spoken to
// over plain HTTP without being listed as insecure, as Docker and containerd
// do.
bool IsLoopbackHost(absl::string_view host_port);

class RegistryClient {
 public:
  RegistryClient(HttpTransport* transport, RegistryClientOptions options);

  // Fetches the manifest `ref` names (by digest if it has one, else by tag)
  // and, for an index, the entry for `platform`. `auth` applies to the
  // reference's own registry host. NotFound (listing available platforms)
  // when no entry fits.
  absl::StatusOr<ResolvedImage> ResolveManifest(const Reference& ref, const Platform& platform,
                                                const std::optional<AuthConfig>& auth = std::nullopt);

  // Downloads blob `desc` of `ref`'s repository into `store`. OK if the blob
  // is committed afterwards (also when it already was).
  absl::Status FetchBlob(const Reference& ref, const Descriptor& desc, content::ContentStore& store,
                         const std::optional<AuthConfig>& auth = std::nullopt);

  // Blob body bytes received so far (after redirects, over all endpoints).
  int64_t blob_bytes_received() const { return blob_bytes_received_.load(); }

 private:
  struct Target {
    std::string base;  // "https://host:port"
    std::string host;  // "host:port"
    std::optional<AuthConfig> auth;
  };
  struct ManifestDoc {
    std::string body;
    std::string content_type;
    std::string docker_content_digest;
  };

  std::vector<Target> Targets(const Reference& ref, const std::optional<AuthConfig>& auth) const;
  // One request with the 401 -> challenge -> retry-once dance.
  absl::StatusOr<HttpResponse> AuthorizedDo(const Target& target, const std::string& repo, HttpRequest request);
  // Runs `attempt` until it returns something other than a retryable error.
  absl::Status WithRetries(const std::string& what, const std::function<absl::Status(bool* retryable)>& attempt);
  absl::StatusOr<ManifestDoc> GetManifest(const Target& target, const Reference& ref, const std::string& tag_or_digest);
  absl::StatusOr<ResolvedImage> ResolveFrom(const Target& target, const Reference& ref, const Platform& platform);
  absl::Status FetchBlobFrom(const Target& target, const Reference& ref, const Descriptor& desc,
                             content::ContentStore& store);

  HttpTransport* const transport_;
  const RegistryClientOptions options_;
  TokenCache tokens_;
  content::SingleFlight<std::string, absl::Status> blob_flights_;
  std::atomic<int64_t> blob_bytes_received_{0};
  silo::Mutex mu_;
  absl::flat_hash_set<std::string> basic_hosts_ ABSL_GUARDED_BY(mu_);  // answered Basic before
};

}  // namespace silo::image::registry
