// RegistryClient against a real docker-registry (images built as OCI layouts
// and pushed with skopeo) and, for faults a real registry cannot produce on
// demand, a scripted HTTP server.
#include "image/registry/client.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <cstring>
#include <iostream>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "image/registry/curl_transport.h"
#include "image/registry/testing/local_registry.h"
#include "image/registry/testing/oci_layout.h"
#include "image/registry/testing/test_http_server.h"
#include "runtime/base/mutex.h"

namespace silo::image::registry {
namespace {

using testing::BuiltImage;
using testing::LocalRegistry;
using testing::OciLayout;
using testing::TestHttpServer;
using testing::TestImage;
using testing::TestRequest;
using testing::TestResponse;

std::string TempDir() {
  char tmpl[] = "/tmp/silo-regtest-XXXXXX";
  EXPECT_NE(mkdtemp(tmpl), nullptr);
  return tmpl;
}

Platform P(std::string os, std::string arch, std::string os_version = "") {
  Platform p;
  p.os = std::move(os);
  p.architecture = std::move(arch);
  p.os_version = std::move(os_version);
  return p;
}

Reference Ref(const std::string& text) {
  auto r = ParseReference(text);
  EXPECT_TRUE(r.ok()) << r.status();
  return *r;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class RegistryClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto reg = LocalRegistry::Start();
    ASSERT_TRUE(reg.ok()) << reg.status();
    registry_ = reg->release();
    layout_dir_ = new std::string(TempDir());
    OciLayout layout(*layout_dir_);
    TestImage app;
    app.layers = {{{"etc/hello", "hello world\n"}}, {{"bin/tool", std::string(300000, 't')}}};
    auto built = layout.AddImage(app);
    ASSERT_TRUE(built.ok()) << built.status();
    app_ = new BuiltImage(*built);
    ASSERT_TRUE(layout.Tag(app_->manifest, "v1").ok());

    std::vector<Descriptor> entries;
    for (auto p : {P("linux", "amd64"), P("linux", "arm64"), P("windows", "amd64", "10.0.20348.1")}) {
      TestImage img;
      img.platform = p;
      img.layers = {{{"platform", p.ToString()}}};
      auto b = layout.AddImage(img);
      ASSERT_TRUE(b.ok()) << b.status();
      entries.push_back(b->manifest);
    }
    arm64_manifest_ = new Digest(entries[1].digest);
    auto index = layout.AddIndex(entries);
    ASSERT_TRUE(index.ok()) << index.status();
    ASSERT_TRUE(layout.Tag(*index, "multi").ok());
    ASSERT_TRUE(registry_->Push(*layout_dir_, "v1", "app").ok());
    absl::Status pushed = registry_->Push(*layout_dir_, "multi", "multi", /*all=*/true);
    ASSERT_TRUE(pushed.ok()) << pushed;
  }
  static void TearDownTestSuite() {
    delete registry_;
    std::filesystem::remove_all(*layout_dir_);
    delete layout_dir_;
    delete app_;
    delete arm64_manifest_;
  }

  void SetUp() override {
    store_dir_ = TempDir();
    auto store = content::ContentStore::Open(store_dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(store_dir_);
  }

  RegistryClientOptions Options() {
    RegistryClientOptions o;
    o.insecure_hosts = {registry_->host()};
    o.backoff_base = absl::Milliseconds(1);
    o.max_attempts = 3;
    return o;
  }
  Reference AppRef(const std::string& suffix = ":v1") { return Ref(absl::StrCat(registry_->host(), "/app", suffix)); }

  static LocalRegistry* registry_;
  static std::string* layout_dir_;
  static BuiltImage* app_;
  static Digest* arm64_manifest_;
  CurlTransport transport_;
  std::string store_dir_;
  std::unique_ptr<content::ContentStore> store_;
};

LocalRegistry* RegistryClientTest::registry_ = nullptr;
std::string* RegistryClientTest::layout_dir_ = nullptr;
BuiltImage* RegistryClientTest::app_ = nullptr;
Digest* RegistryClientTest::arm64_manifest_ = nullptr;

TEST_F(RegistryClientTest, PullManifestByTagAndByDigest) {
  RegistryClient client(&transport_, Options());
  auto by_tag = client.ResolveManifest(AppRef(), P("linux", "amd64"));
  ASSERT_TRUE(by_tag.ok()) << by_tag.status();
  EXPECT_EQ(by_tag->digest, app_->manifest.digest);
  EXPECT_EQ(by_tag->manifest_digest, app_->manifest.digest);
  EXPECT_EQ(by_tag->docker_content_digest, app_->manifest.digest.String());
  EXPECT_EQ(by_tag->manifest.config.digest, app_->config.digest);
  ASSERT_EQ(by_tag->manifest.layers.size(), 2u);
  EXPECT_EQ(by_tag->manifest.layers[1].digest, app_->layers[1].digest);
  EXPECT_EQ(by_tag->manifest.layers[1].size, app_->layers[1].size);

  auto by_digest = client.ResolveManifest(AppRef("@" + app_->manifest.digest.String()), P("linux", "amd64"));
  ASSERT_TRUE(by_digest.ok()) << by_digest.status();
  EXPECT_EQ(by_digest->manifest_body, by_tag->manifest_body);
}

TEST_F(RegistryClientTest, SelectsPlatformFromIndex) {
  RegistryClient client(&transport_, Options());
  auto arm = client.ResolveManifest(Ref(registry_->host() + "/multi:multi"), P("linux", "arm64"));
  ASSERT_TRUE(arm.ok()) << arm.status();
  EXPECT_EQ(arm->media_type, kOciIndex);
  EXPECT_EQ(arm->manifest_digest, *arm64_manifest_);
  EXPECT_EQ(arm->platform->architecture, "arm64");
  EXPECT_FALSE(arm->index_body.empty());

  auto none = client.ResolveManifest(Ref(registry_->host() + "/multi:multi"), P("linux", "s390x"));
  ASSERT_EQ(none.status().code(), absl::StatusCode::kNotFound) << none.status();
  EXPECT_TRUE(absl::StrContains(none.status().message(), "windows/amd64")) << none.status();
}

TEST_F(RegistryClientTest, FetchesBlobsVerifiedIntoStore) {
  RegistryClient client(&transport_, Options());
  for (const auto& d : {app_->config, app_->layers[0], app_->layers[1]}) {
    absl::Status s = client.FetchBlob(AppRef(), d, *store_);
    ASSERT_TRUE(s.ok()) << s;
    auto bytes = store_->ReadBlob(d.digest);
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ(*bytes, ReadAll(absl::StrCat(*layout_dir_, "/blobs/sha256/", d.digest.hex)));
  }
  // Already present: no download at all.
  int64_t before = client.blob_bytes_received();
  ASSERT_TRUE(client.FetchBlob(AppRef(), app_->layers[1], *store_).ok());
  EXPECT_EQ(client.blob_bytes_received(), before);
}

TEST_F(RegistryClientTest, ResumesPartialIngestWithRange) {
  const Descriptor& layer = app_->layers[1];
  std::string full = ReadAll(absl::StrCat(*layout_dir_, "/blobs/sha256/", layer.digest.hex));
  const int64_t half = layer.size / 2;
  {
    auto w = store_->OpenWriter("fetch-" + layer.digest.String(), layer.digest, layer.size);
    ASSERT_TRUE(w.ok()) << w.status();
    ASSERT_TRUE((*w)->Write(absl::string_view(full).substr(0, half)).ok());
  }  // destroyed without commit: the ingest stays for resume
  RegistryClient client(&transport_, Options());
  absl::Status s = client.FetchBlob(AppRef(), layer, *store_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(client.blob_bytes_received(), layer.size - half);
  EXPECT_EQ(*store_->ReadBlob(layer.digest), full);
}

// A kill can leave an ingest of any length, the whole blob included
// (downloaded but not yet committed): every one must resume to the blob.
TEST_F(RegistryClientTest, ResumesIngestOfEveryLength) {
  const Descriptor& layer = app_->layers[1];
  std::string full = ReadAll(absl::StrCat(*layout_dir_, "/blobs/sha256/", layer.digest.hex));
  for (int64_t kept : {int64_t{1}, layer.size - 1, layer.size}) {
    SCOPED_TRACE(absl::StrCat("kept ", kept, " of ", layer.size));
    TearDown();
    SetUp();
    {
      auto w = store_->OpenWriter("fetch-" + layer.digest.String(), layer.digest, layer.size);
      ASSERT_TRUE(w.ok()) << w.status();
      ASSERT_TRUE((*w)->Write(absl::string_view(full).substr(0, kept)).ok());
    }
    RegistryClient client(&transport_, Options());
    absl::Status s = client.FetchBlob(AppRef(), layer, *store_);
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_EQ(*store_->ReadBlob(layer.digest), full);
  }
}

// A whole-length ingest whose bytes are wrong fails its commit and is
// downloaded again rather than kept or committed.
TEST_F(RegistryClientTest, RedownloadsCorruptWholeIngest) {
  const Descriptor& layer = app_->layers[1];
  std::string full = ReadAll(absl::StrCat(*layout_dir_, "/blobs/sha256/", layer.digest.hex));
  {
    auto w = store_->OpenWriter("fetch-" + layer.digest.String(), layer.digest, layer.size);
    ASSERT_TRUE(w.ok()) << w.status();
    ASSERT_TRUE((*w)->Write(std::string(layer.size, 'x')).ok());
  }
  RegistryClient client(&transport_, Options());
  absl::Status s = client.FetchBlob(AppRef(), layer, *store_);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(client.blob_bytes_received(), layer.size);
  EXPECT_EQ(*store_->ReadBlob(layer.digest), full);
}

TEST_F(RegistryClientTest, TamperedBlobIsDataLossAndNotCommitted) {
  // A blob of its own so other tests keep an intact copy.
  std::string dir = TempDir();
  OciLayout layout(dir);
  TestImage img;
  img.layers = {{{"tamper", std::string(5000, 'a')}}};
  auto built = layout.AddImage(img);
  ASSERT_TRUE(built.ok());
  ASSERT_TRUE(layout.Tag(built->manifest, "t").ok());
  ASSERT_TRUE(registry_->Push(dir, "t", "tamper").ok());
  std::filesystem::remove_all(dir);

  const Descriptor& layer = built->layers[0];
  std::string path = registry_->BlobDataPath(layer.digest);
  std::string data = ReadAll(path);
  ASSERT_EQ(static_cast<int64_t>(data.size()), layer.size);
  data[data.size() / 2] ^= 0x55;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;

  RegistryClient client(&transport_, Options());
  absl::Status s = client.FetchBlob(Ref(registry_->host() + "/tamper:t"), layer, *store_);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_FALSE(store_->Exists(layer.digest));
  EXPECT_TRUE(store_->ListIngests()->empty());
}

// Two concurrent pulls of one ~50 MB blob share a single download; prints the
// throughput from the local registry.
TEST_F(RegistryClientTest, ConcurrentFetchesShareOneDownload) {
  std::string dir = TempDir();
  OciLayout layout(dir);
  TestImage img;
  std::mt19937_64 rng(42);
  img.raw_layer.resize(50 << 20);
  for (size_t i = 0; i + 8 <= img.raw_layer.size(); i += 8) {
    uint64_t v = rng();
    memcpy(&img.raw_layer[i], &v, 8);
  }
  auto built = layout.AddImage(img);
  ASSERT_TRUE(built.ok());
  ASSERT_TRUE(layout.Tag(built->manifest, "big").ok());
  absl::Status pushed = registry_->Push(dir, "big", "big");
  ASSERT_TRUE(pushed.ok()) << pushed;
  std::filesystem::remove_all(dir);

  RegistryClient client(&transport_, Options());
  Reference ref = Ref(registry_->host() + "/big:big");
  // skopeo may recompress the layer on push, so take the descriptor the registry serves.
  auto resolved = client.ResolveManifest(ref, P("linux", "amd64"));
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  const Descriptor layer = resolved->manifest.layers.at(0);
  ASSERT_GT(layer.size, 40 << 20);
  absl::Status a, b;
  auto start = std::chrono::steady_clock::now();
  std::thread t1([&] { a = client.FetchBlob(ref, layer, *store_); });
  std::thread t2([&] { b = client.FetchBlob(ref, layer, *store_); });
  t1.join();
  t2.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(a.ok()) << a;
  ASSERT_TRUE(b.ok()) << b;
  EXPECT_EQ(client.blob_bytes_received(), layer.size);  // one download for both callers
  EXPECT_TRUE(store_->Exists(layer.digest));
  std::cout << "pulled " << layer.size << " bytes in " << secs << " s ("
            << static_cast<double>(layer.size) / (1 << 20) / secs << " MiB/s)\n";
}

TEST_F(RegistryClientTest, FallsBackFromDeadMirrorToUpstream) {
  RegistryClientOptions o = Options();
  auto dead = TestHttpServer::Start([](const TestRequest&) { return TestResponse{503, {}, "down"}; });
  ASSERT_TRUE(dead.ok());
  std::atomic<int> mirror_hits{0};
  auto counting = TestHttpServer::Start([&](const TestRequest&) {
    ++mirror_hits;
    return TestResponse{404, {}, ""};
  });
  ASSERT_TRUE(counting.ok());
  o.mirrors[registry_->host()] = {(*dead)->base_url(), (*counting)->base_url()};
  RegistryClient client(&transport_, o);
  auto r = client.ResolveManifest(AppRef(), P("linux", "amd64"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->endpoint, "http://" + registry_->host());
  EXPECT_EQ(mirror_hits.load(), 1);
}

TEST(RegistryClientAuthTest, BasicAuthAndMissingCredentials) {
  testing::LocalRegistryOptions opts;
  opts.username = "puller";
  opts.password = "s3cret";
  auto reg = LocalRegistry::Start(opts);
  ASSERT_TRUE(reg.ok()) << reg.status();
  std::string dir = TempDir();
  OciLayout layout(dir);
  TestImage img;
  img.layers = {{{"private", "data"}}};
  auto built = layout.AddImage(img);
  ASSERT_TRUE(built.ok());
  ASSERT_TRUE(layout.Tag(built->manifest, "v1").ok());
  absl::Status pushed = (*reg)->Push(dir, "v1", "private/app");
  ASSERT_TRUE(pushed.ok()) << pushed;
  std::filesystem::remove_all(dir);

  CurlTransport transport;
  RegistryClientOptions o;
  o.insecure_hosts = {(*reg)->host()};
  RegistryClient client(&transport, o);
  Reference ref = Ref((*reg)->host() + "/private/app:v1");

  auto anonymous = client.ResolveManifest(ref, P("linux", "amd64"));
  ASSERT_EQ(anonymous.status().code(), absl::StatusCode::kUnauthenticated) << anonymous.status();
  EXPECT_TRUE(absl::StrContains(anonymous.status().message(), (*reg)->host())) << anonymous.status();

  AuthConfig wrong;
  wrong.username = "puller";
  wrong.password = "nope";
  EXPECT_EQ(client.ResolveManifest(ref, P("linux", "amd64"), wrong).status().code(),
            absl::StatusCode::kUnauthenticated);

  AuthConfig auth;
  auth.username = "puller";
  auth.password = "s3cret";
  auto r = client.ResolveManifest(ref, P("linux", "amd64"), auth);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->manifest_digest, built->manifest.digest);

  std::string store_dir = TempDir();
  {
    auto store = content::ContentStore::Open(store_dir);
    ASSERT_TRUE(store.ok());
    absl::Status s = client.FetchBlob(ref, built->layers[0], **store, auth);
    EXPECT_TRUE(s.ok()) << s;
    EXPECT_TRUE((*store)->Exists(built->layers[0].digest));
  }
  std::filesystem::remove_all(store_dir);
}

// Scripted registry: a manifest served behind bearer auth, after some 500s.
struct FakeRegistry {
  std::string manifest = std::string(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)") +
                         R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                         Sha256Of("{}").String() + R"(","size":2},"layers":[]})";
  std::string content_type = std::string(kOciManifest);
  std::atomic<int> failures_left{0};
  std::atomic<int> manifest_requests{0};
  std::atomic<int> token_requests{0};
  std::atomic<bool> require_token{false};
  std::string last_token_query;
  std::unique_ptr<TestHttpServer> server;

  void Start() {
    auto s = TestHttpServer::Start([this](const TestRequest& r) {
      if (absl::StartsWith(r.target, "/token")) {
        ++token_requests;
        last_token_query = r.target;
        return TestResponse{200, {{"Content-Type", "application/json"}}, R"({"token":"tok123","expires_in":300})"};
      }
      ++manifest_requests;
      if (require_token.load()) {
        auto it = r.headers.find("authorization");
        if (it == r.headers.end() || it->second != "Bearer tok123") {
          return TestResponse{401,
                              {{"WWW-Authenticate", absl::StrCat(R"(Bearer realm=")", server->base_url(),
                                                                 R"(/token",service="fake")")}},
                              ""};
        }
      }
      if (failures_left.fetch_sub(1) > 0) return TestResponse{500, {}, "boom"};
      return TestResponse{200, {{"Content-Type", content_type}}, manifest};
    });
    ASSERT_TRUE(s.ok());
    server = std::move(*s);
  }
};

RegistryClientOptions FakeOptions(const FakeRegistry& fake) {
  RegistryClientOptions o;
  o.insecure_hosts = {fake.server->host()};
  o.backoff_base = absl::Milliseconds(1);
  o.max_attempts = 4;
  return o;
}

TEST(RegistryClientFaultTest, RetriesServerErrors) {
  FakeRegistry fake;
  fake.Start();
  fake.failures_left = 2;
  CurlTransport transport;
  RegistryClient client(&transport, FakeOptions(fake));
  auto r = client.ResolveManifest(Ref(fake.server->host() + "/x/y:v1"), P("linux", "amd64"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(fake.manifest_requests.load(), 3);
  EXPECT_EQ(r->digest, Sha256Of(fake.manifest));

  fake.failures_left = 100;
  auto gave_up = client.ResolveManifest(Ref(fake.server->host() + "/x/y:v1"), P("linux", "amd64"));
  EXPECT_EQ(gave_up.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(fake.manifest_requests.load(), 3 + 4);
}

TEST(RegistryClientFaultTest, StalledBlobFailsAfterTheStallTimeoutAndKeepsItsProgress) {
  const std::string blob(64 * 1024, 'z');
  const Digest digest = Sha256Of(blob);
  std::vector<std::string> ranges;
  silo::Mutex mu;
  auto server = TestHttpServer::Start([&](const TestRequest& r) {
    silo::MutexLock lock(&mu);
    auto it = r.headers.find("range");
    ranges.push_back(it == r.headers.end() ? "" : it->second);
    TestResponse resp{200, {}, blob};
    resp.stall_after = 1000;  // every attempt sends 1000 bytes, then hangs
    if (it != r.headers.end()) {
      resp.status = 206;
      resp.headers = {{"Content-Range", absl::StrCat("bytes 1000-", blob.size() - 1, "/", blob.size())}};
      resp.body = blob.substr(1000);
    }
    return resp;
  });
  ASSERT_TRUE(server.ok());
  CurlTransportOptions curl;
  curl.stall_timeout = std::chrono::seconds(1);
  CurlTransport transport(curl);
  RegistryClientOptions o;
  o.insecure_hosts = {(*server)->host()};
  o.backoff_base = absl::Milliseconds(1);
  o.max_attempts = 2;
  RegistryClient client(&transport, o);
  std::string dir = TempDir();
  auto store = content::ContentStore::Open(dir);
  ASSERT_TRUE(store.ok());
  Descriptor d;
  d.media_type = "application/octet-stream";
  d.digest = digest;
  d.size = static_cast<int64_t>(blob.size());
  absl::Status s = client.FetchBlob(Ref((*server)->host() + "/x/y:v1"), d, **store);
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_NE(s.message().find(digest.String()), std::string::npos) << s;
  EXPECT_FALSE((*store)->Exists(digest));
  silo::MutexLock lock(&mu);
  // The retry resumed where the stalled attempt stopped.
  EXPECT_EQ(ranges, (std::vector<std::string>{"", "bytes=1000-"}));
  server->reset();
  std::filesystem::remove_all(dir);
}

TEST(RegistryClientFaultTest, BearerChallengeTokenIsFetchedOnceAndCached) {
  FakeRegistry fake;
  fake.require_token = true;
  fake.Start();
  CurlTransport transport;
  RegistryClient client(&transport, FakeOptions(fake));
  for (int i = 0; i < 2; ++i) {
    auto r = client.ResolveManifest(Ref(fake.server->host() + "/team/app:v1"), P("linux", "amd64"));
    ASSERT_TRUE(r.ok()) << r.status();
  }
  EXPECT_EQ(fake.token_requests.load(), 1);
  EXPECT_EQ(fake.manifest_requests.load(), 3);  // 401, retry with token, then straight with the cached token
  EXPECT_TRUE(absl::StrContains(fake.last_token_query, "service=fake")) << fake.last_token_query;
  EXPECT_TRUE(absl::StrContains(fake.last_token_query, "scope=repository%3Ateam%2Fapp%3Apull"))
      << fake.last_token_query;
}

TEST(RegistryClientFaultTest, RejectsSchema1) {
  FakeRegistry fake;
  fake.content_type = std::string(kDockerSchema1Signed);
  fake.manifest = R"({"schemaVersion":1,"name":"x/y","tag":"v1","fsLayers":[]})";
  fake.Start();
  CurlTransport transport;
  RegistryClient client(&transport, FakeOptions(fake));
  auto r = client.ResolveManifest(Ref(fake.server->host() + "/x/y:v1"), P("linux", "amd64"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnimplemented) << r.status();
  EXPECT_TRUE(absl::StrContains(r.status().message(), "schema 1")) << r.status();
}

TEST(RegistryClientFaultTest, RejectsOversizedManifest) {
  FakeRegistry fake;
  fake.manifest = std::string(kMaxManifestBytes + 1, ' ');
  fake.Start();
  CurlTransport transport;
  RegistryClient client(&transport, FakeOptions(fake));
  auto r = client.ResolveManifest(Ref(fake.server->host() + "/x/y:v1"), P("linux", "amd64"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  EXPECT_EQ(fake.manifest_requests.load(), 1);  // not retried
}

TEST(RegistryClientFaultTest, WrongManifestDigestIsDataLoss) {
  FakeRegistry fake;
  fake.Start();
  CurlTransport transport;
  RegistryClient client(&transport, FakeOptions(fake));
  Digest other = Sha256Of("something else");
  auto r = client.ResolveManifest(Ref(fake.server->host() + "/x/y@" + other.String()), P("linux", "amd64"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
}

TEST(RegistryHostTest, LoopbackHostsAreLocalhostAnd127Slash8AndIpv6Loopback) {
  for (const char* host : {"localhost", "localhost:5000", "LocalHost:5000", "127.0.0.1", "127.0.0.1:5000",
                           "127.255.0.9:80", "[::1]:5000", "::1", "[0:0:0:0:0:0:0:1]:80", "0::1"}) {
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  }
  for (const char* host : {"registry-1.docker.io", "10.0.0.1:5000", "128.0.0.1", "localhost.example.com:5000",
                           "[fd00::1]:5000", "my-localhost:5000", "", "127.0.0", "127.0.0.256", "::", "::2", "1::1",
                           "[0:0:0:0:0:0:0:0:1]:80"}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
}

}  // namespace
}  // namespace silo::image::registry
