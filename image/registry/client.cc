#include "image/registry/client.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "runtime/base/status_macros.h"
#include "runtime/base/mutex.h"

namespace silo::image::registry {
namespace {

bool RetryableHttp(int status) { return status == 429 || status >= 500; }

bool RetryableTransport(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s);
}

absl::Status HttpError(int status, absl::string_view what) {
  std::string msg = absl::StrCat(what, ": HTTP ", status);
  switch (status) {
    case 401: return absl::UnauthenticatedError(msg);
    case 403: return absl::PermissionDeniedError(msg);
    case 404: return absl::NotFoundError(msg);
    default: return status == 429 || status >= 500 ? absl::UnavailableError(msg) : absl::InternalError(msg);
  }
}

absl::StatusOr<Digest> DigestOf(absl::string_view algorithm, absl::string_view body) {
  SILO_ASSIGN_OR_RETURN(Hasher h, Hasher::Create(algorithm));
  h.Update(body);
  return h.Current();
}

// Verifies `body` against `expected` (if any) and the registry's header (if
// parsable); returns the body's digest in `expected`'s algorithm.
absl::StatusOr<Digest> VerifyManifest(absl::string_view what, absl::string_view body,
                                      const std::optional<Digest>& expected, const std::string& header) {
  std::string algorithm = expected.has_value() ? expected->algorithm : std::string(kSha256);
  SILO_ASSIGN_OR_RETURN(Digest actual, DigestOf(algorithm, body));
  if (expected.has_value() && actual != *expected) {
    return absl::DataLossError(absl::StrCat("manifest ", what, " has digest ", actual.String(), ", expected ",
                                            expected->String()));
  }
  if (auto hd = ParseDigest(header); hd.ok()) {
    SILO_ASSIGN_OR_RETURN(Digest by_header, DigestOf(hd->algorithm, body));
    if (by_header != *hd) {
      return absl::DataLossError(absl::StrCat("manifest ", what, " has digest ", by_header.String(),
                                              " but the registry announced Docker-Content-Digest ", header));
    }
  }
  return actual;
}

// "bytes 100-199/200" -> 100; -1 when malformed.
int64_t ContentRangeStart(absl::string_view value) {
  if (!absl::ConsumePrefix(&value, "bytes ")) return -1;
  int64_t start = -1;
  if (!absl::SimpleAtoi(value.substr(0, value.find('-')), &start)) return -1;
  return start;
}

}  // namespace

namespace {

// "127.x.y.z" with four decimal octets.
bool IsLoopbackIpv4(absl::string_view host) {
  std::vector<absl::string_view> parts = absl::StrSplit(host, '.');
  if (parts.size() != 4) return false;
  for (absl::string_view p : parts) {
    int octet = -1;
    if (p.empty() || p.size() > 3 || !absl::SimpleAtoi(p, &octet) || octet < 0 || octet > 255) return false;
  }
  return parts[0] == "127";
}

// "::1" in any of its spellings: seven zero groups, then 1. Parsed by hand
// so the portable client needs no socket headers.
bool IsLoopbackIpv6(absl::string_view host) {
  if (host.find(':') == absl::string_view::npos) return false;
  std::vector<absl::string_view> halves = absl::StrSplit(host, "::");
  if (halves.size() > 2) return false;
  auto groups_of = [](absl::string_view half, std::vector<int>* out) {
    if (half.empty()) return true;
    for (absl::string_view p : absl::StrSplit(half, ':')) {
      int value = -1;
      if (p.empty() || p.size() > 4 || !absl::SimpleHexAtoi(p, &value)) return false;
      out->push_back(value);
    }
    return true;
  };
  std::vector<int> left, right;
  if (!groups_of(halves[0], &left)) return false;
  if (halves.size() == 2 && !groups_of(halves[1], &right)) return false;
  if (halves.size() == 1 ? left.size() != 8 : left.size() + right.size() > 7) return false;
  std::vector<int> groups = left;
  groups.insert(groups.end(), 8 - left.size() - right.size(), 0);
  groups.insert(groups.end(), right.begin(), right.end());
  for (int i = 0; i < 7; ++i) {
    if (groups[i] != 0) return false;
  }
  return groups[7] == 1;
}

}  // namespace

bool IsLoopbackHost(absl::string_view host_port) {
  absl::string_view host = host_port;
  if (absl::ConsumePrefix(&host, "[")) {
    host = host.substr(0, host.find(']'));
  } else if (std::count(host.begin(), host.end(), ':') == 1) {
    host = host.substr(0, host.find(':'));
  }
  return absl::AsciiStrToLower(host) == "localhost" || IsLoopbackIpv4(host) || IsLoopbackIpv6(host);
}

RegistryClient::RegistryClient(HttpTransport* transport, RegistryClientOptions options)
    : transport_(transport), options_(std::move(options)), tokens_(transport) {}

std::vector<RegistryClient::Target> RegistryClient::Targets(const Reference& ref,
                                                            const std::optional<AuthConfig>& auth) const {
  std::vector<Target> out;
  auto lookup = [this](const std::string& host) -> std::optional<AuthConfig> {
    if (options_.credentials) return options_.credentials(host);
    return std::nullopt;
  };
  if (auto it = options_.mirrors.find(ref.domain); it != options_.mirrors.end()) {
    for (const auto& url : it->second) {
      std::string base(absl::StripSuffix(url, "/"));
      std::string host = UrlHostPort(base);
      if (host.empty()) continue;
      out.push_back(Target{base, host, lookup(host)});
    }
  }
  std::string host = ref.RegistryHost();
  std::string scheme = options_.insecure_hosts.contains(host) || IsLoopbackHost(host) ? "http" : "https";
  out.push_back(Target{absl::StrCat(scheme, "://", host), host, auth.has_value() ? auth : lookup(host)});
  return out;
}

absl::StatusOr<HttpResponse> RegistryClient::AuthorizedDo(const Target& target, const std::string& repo,
                                                          HttpRequest request) {
  const std::string scope = absl::StrCat("repository:", repo, ":pull");
  const bool has_creds = target.auth.has_value() && !target.auth->Empty();
  bool known_basic;
  {
    silo::MutexLock lock(&mu_);
    known_basic = basic_hosts_.contains(target.host);
  }
  HttpRequest first = request;
  if (auto token = tokens_.Lookup(target.host, scope)) {
    first.headers.emplace_back("Authorization", absl::StrCat("Bearer ", *token));
  } else if (known_basic && has_creds && target.auth->HasBasic()) {
    SILO_ASSIGN_OR_RETURN(std::string basic, target.auth->BasicHeader());
    first.headers.emplace_back("Authorization", basic);
  }
  SILO_ASSIGN_OR_RETURN(HttpResponse resp, transport_->Do(std::move(first)));
  if (resp.status != 401) return resp;

  std::vector<Challenge> challenges = ParseChallenges(resp.Headers("www-authenticate"));
  const Challenge* bearer = nullptr;
  const Challenge* basic = nullptr;
  for (const auto& c : challenges) {
    if (c.scheme == "bearer" && bearer == nullptr) bearer = &c;
    if (c.scheme == "basic" && basic == nullptr) basic = &c;
  }
  std::string authorization;
  if (bearer != nullptr) {
    tokens_.Invalidate(target.host, scope);
    auto token = tokens_.Fetch(target.host, scope, *bearer, target.auth);
    if (!token.ok()) return Annotate(token.status(), absl::StrCat("authenticating to registry ", target.host));
    authorization = absl::StrCat("Bearer ", *token);
  } else if (basic != nullptr) {
    if (!has_creds || !target.auth->HasBasic()) {
      return absl::UnauthenticatedError(absl::StrCat("registry ", target.host,
                                                     " requires authentication and no credentials were given"));
    }
    SILO_ASSIGN_OR_RETURN(authorization, target.auth->BasicHeader());
    silo::MutexLock lock(&mu_);
    basic_hosts_.insert(target.host);
  } else {
    return absl::UnauthenticatedError(
        absl::StrCat("registry ", target.host, " answered 401 without a usable WWW-Authenticate challenge"));
  }
  request.headers.emplace_back("Authorization", authorization);
  SILO_ASSIGN_OR_RETURN(resp, transport_->Do(std::move(request)));
  if (resp.status == 401) {
    return absl::UnauthenticatedError(absl::StrCat(
        "registry ", target.host, has_creds ? " rejected the credentials" : " requires authentication and no "
                                                                            "credentials were given"));
  }
  return resp;
}

absl::Status RegistryClient::WithRetries(const std::string& what,
                                         const std::function<absl::Status(bool* retryable)>& attempt) {
  absl::Status last;
  for (int n = 0; n < std::max(1, options_.max_attempts); ++n) {
    if (n > 0) {
      absl::Duration delay = options_.backoff_base * (int64_t{1} << std::min(n - 1, 20));
      absl::SleepFor(std::min(delay, options_.backoff_max));
    }
    bool retryable = false;
    last = attempt(&retryable);
    if (last.ok() || !retryable) return last;
  }
  return Annotate(last, absl::StrCat(what, ": giving up after ", options_.max_attempts, " attempts"));
}

absl::StatusOr<RegistryClient::ManifestDoc> RegistryClient::GetManifest(const Target& target, const Reference& ref,
                                                                        const std::string& tag_or_digest) {
  const std::string what = absl::StrCat(target.base, "/v2/", ref.path, "/manifests/", tag_or_digest);
  ManifestDoc doc;
  absl::Status s = WithRetries(what, [&](bool* retryable) -> absl::Status {
    HttpRequest req;
    req.url = what;
    req.headers.emplace_back("Accept", ManifestAcceptHeader());
    req.max_body_bytes = options_.max_manifest_bytes;
    absl::StatusOr<HttpResponse> resp = AuthorizedDo(target, ref.path, std::move(req));
    if (!resp.ok()) {
      if (absl::IsResourceExhausted(resp.status())) {
        return absl::InvalidArgumentError(absl::StrCat("manifest ", what, " is larger than the ",
                                                       options_.max_manifest_bytes, "-byte limit"));
      }
      *retryable = RetryableTransport(resp.status());
      return resp.status();
    }
    if (resp->status != 200) {
      *retryable = RetryableHttp(resp->status);
      return HttpError(resp->status, absl::StrCat("fetching manifest ", what));
    }
    doc.body = std::move(resp->body);
    doc.content_type = resp->Header("content-type");
    doc.docker_content_digest = resp->Header("docker-content-digest");
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return doc;
}

absl::StatusOr<ResolvedImage> RegistryClient::ResolveFrom(const Target& target, const Reference& ref,
                                                          const Platform& platform) {
  const std::string name = ref.digest.has_value() ? ref.digest->String() : ref.tag;
  SILO_ASSIGN_OR_RETURN(ManifestDoc doc, GetManifest(target, ref, name));
  ResolvedImage out;
  out.endpoint = target.base;
  out.docker_content_digest = doc.docker_content_digest;
  const std::string what = absl::StrCat(ref.Repository(), ":", name);
  SILO_ASSIGN_OR_RETURN(out.digest, VerifyManifest(what, doc.body, ref.digest, doc.docker_content_digest));
  SILO_ASSIGN_OR_RETURN(out.media_type, DetectMediaType(doc.content_type, doc.body));

  if (IsManifestMediaType(out.media_type)) {
    out.manifest_digest = out.digest;
    out.manifest_media_type = out.media_type;
    out.manifest_body = std::move(doc.body);
  } else {
    SILO_ASSIGN_OR_RETURN(Index index, ParseIndex(out.media_type, doc.body));
    out.index_body = std::move(doc.body);
    std::vector<Platform> candidates;
    std::vector<const Descriptor*> entries;
    for (const auto& d : index.manifests) {
      if (!d.platform.has_value() || !IsManifestMediaType(d.media_type)) continue;
      candidates.push_back(*d.platform);
      entries.push_back(&d);
    }
    absl::StatusOr<size_t> pick = SelectPlatform(platform, candidates);
    if (!pick.ok()) return Annotate(pick.status(), what);
    const Descriptor& chosen = *entries[*pick];
    out.platform = chosen.platform;
    SILO_ASSIGN_OR_RETURN(ManifestDoc child, GetManifest(target, ref, chosen.digest.String()));
    SILO_ASSIGN_OR_RETURN(out.manifest_digest, VerifyManifest(absl::StrCat(ref.Repository(), "@", chosen.digest.String()),
                                                              child.body, chosen.digest, child.docker_content_digest));
    SILO_ASSIGN_OR_RETURN(out.manifest_media_type, DetectMediaType(child.content_type, child.body));
    if (!IsManifestMediaType(out.manifest_media_type)) {
      return absl::InvalidArgumentError(absl::StrCat("index entry ", chosen.digest.String(), " of ", what,
                                                     " is a ", out.manifest_media_type, ", not an image manifest"));
    }
    out.manifest_body = std::move(child.body);
  }
  auto manifest = ParseManifest(out.manifest_media_type, out.manifest_body);
  if (!manifest.ok()) return Annotate(manifest.status(), absl::StrCat("manifest ", out.manifest_digest.String(), " of ", what));
  out.manifest = *std::move(manifest);
  return out;
}

absl::StatusOr<ResolvedImage> RegistryClient::ResolveManifest(const Reference& ref, const Platform& platform,
                                                              const std::optional<AuthConfig>& auth) {
  std::vector<std::string> failures;
  absl::Status last;
  for (const Target& t : Targets(ref, auth)) {
    absl::StatusOr<ResolvedImage> r = ResolveFrom(t, ref, platform);
    if (r.ok()) return r;
    last = r.status();
    failures.push_back(absl::StrCat(t.base, ": ", last.message()));
  }
  if (failures.size() == 1) return last;
  return absl::Status(last.code(), absl::StrCat("resolving ", ref.String(), ": ", absl::StrJoin(failures, "; ")));
}

absl::Status RegistryClient::FetchBlob(const Reference& ref, const Descriptor& desc, content::ContentStore& store,
                                       const std::optional<AuthConfig>& auth) {
  SILO_RETURN_IF_ERROR(ValidateDigest(desc.digest));
  const std::string key = absl::StrCat(store.root(), "|", desc.digest.String());
  return blob_flights_.Do(key, [&]() -> absl::Status {
    if (store.Exists(desc.digest)) return absl::OkStatus();
    std::vector<std::string> failures;
    absl::Status last;
    for (const Target& t : Targets(ref, auth)) {
      last = FetchBlobFrom(t, ref, desc, store);
      if (last.ok()) return last;
      failures.push_back(absl::StrCat(t.base, ": ", last.message()));
    }
    if (failures.size() == 1) return last;
    return absl::Status(last.code(), absl::StrCat("fetching blob ", desc.digest.String(), " of ", ref.Repository(),
                                                  ": ", absl::StrJoin(failures, "; ")));
  });
}

absl::Status RegistryClient::FetchBlobFrom(const Target& target, const Reference& ref, const Descriptor& desc,
                                           content::ContentStore& store) {
  const std::string url = absl::StrCat(target.base, "/v2/", ref.path, "/blobs/", desc.digest.String());
  absl::StatusOr<std::unique_ptr<content::Writer>> opened =
      store.OpenWriter(absl::StrCat("fetch-", desc.digest.String()), desc.digest, desc.size);
  if (absl::IsAlreadyExists(opened.status())) return absl::OkStatus();
  if (!opened.ok()) return Annotate(opened.status(), absl::StrCat("opening ingest for ", url));
  std::unique_ptr<content::Writer> writer = *std::move(opened);

  return WithRetries(url, [&](bool* retryable) -> absl::Status {
    HttpRequest req;
    req.url = url;
    if (desc.size > 0 && writer->offset() >= desc.size) {
      // A kill between the last byte and the commit leaves the whole blob in
      // the ingest. Asking for the range after it draws a 416 whose
      // Content-Length (Distribution's) is the blob size while its body is a
      // short message, so the transfer would fail on every retry: commit
      // what we have, which verifies the digest, and start over if it is wrong.
      absl::StatusOr<Digest> committed = writer->Commit();
      if (committed.ok()) return absl::OkStatus();
      // The failed commit deleted the ingest; the retry downloads afresh.
      writer.reset();
      absl::StatusOr<std::unique_ptr<content::Writer>> fresh =
          store.OpenWriter(absl::StrCat("fetch-", desc.digest.String()), desc.digest, desc.size);
      *retryable = fresh.ok();
      if (fresh.ok()) writer = *std::move(fresh);
      return Annotate(committed.status(), absl::StrCat("committing resumed ingest of ", url));
    }
    const int64_t start = writer->offset();
    if (start > 0) req.headers.emplace_back("Range", absl::StrCat("bytes=", start, "-"));
    absl::Status sink_error;
    bool first_chunk = true;
    req.body_sink = [&](int status, const std::vector<std::pair<std::string, std::string>>& headers,
                        absl::string_view chunk) -> absl::Status {
      if (first_chunk) {
        first_chunk = false;
        if (status == 416) {
          // Stop reading here: Distribution's 416 announces a Content-Length
          // its body does not have. The retry starts from zero.
          sink_error = absl::UnavailableError(absl::StrCat(url, ": range from ", start, " not satisfiable"));
          return sink_error;
        }
        if (status == 206) {
          std::string range;
          for (const auto& [k, v] : headers) {
            if (k == "content-range") range = v;
          }
          if (ContentRangeStart(range) != start) {
            sink_error = absl::UnavailableError(absl::StrCat(url, ": Content-Range \"", range,
                                                             "\" does not start at ", start));
            return sink_error;
          }
        } else if (writer->offset() > 0) {
          // The server ignored the Range request: start over.
          sink_error = writer->Reset();
          if (!sink_error.ok()) return sink_error;
        }
      }
      blob_bytes_received_ += static_cast<int64_t>(chunk.size());
      sink_error = writer->Write(chunk);
      return sink_error;
    };
    absl::StatusOr<HttpResponse> resp = AuthorizedDo(target, ref.path, std::move(req));
    if (!sink_error.ok()) {
      if (absl::IsResourceExhausted(sink_error)) {
        // Disk full: keeping the partial download for a resume would keep
        // the disk full too, and nothing through the CRI could free it.
        (void)writer->Abort();
        *retryable = false;
        return sink_error;
      }
      // A Content-Range mismatch is the server's fault and worth another try from scratch.
      *retryable = absl::IsUnavailable(sink_error) && writer->Reset().ok();
      return sink_error;
    }
    if (!resp.ok()) {
      *retryable = RetryableTransport(resp.status());
      return resp.status();
    }
    if (resp->status == 416) {
      // Our offset is past what the server has; restart from zero.
      *retryable = writer->Reset().ok();
      return HttpError(resp->status, absl::StrCat("fetching blob ", url));
    }
    if (resp->status != 200 && resp->status != 206) {
      *retryable = RetryableHttp(resp->status);
      return HttpError(resp->status, absl::StrCat("fetching blob ", url));
    }
    absl::StatusOr<Digest> committed = writer->Commit();
    if (!committed.ok()) return Annotate(committed.status(), absl::StrCat("fetching blob ", url));
    return absl::OkStatus();
  });
}

}  // namespace silo::image::registry
