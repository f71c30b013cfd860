// Uses each library of the Windows dependency prefix for real, so a missing
// symbol, a DLL import or a broken port shows as a link error or a failed
// check under Wine: a gRPC call over loopback (with server reflection on), a
// Prometheus scrape of the civetweb exposer through curl, a tar.zst and a
// tar.gz round trip through libarchive, SQLite, OpenSSL, zlib, zstd, YAML,
// JSON, Beast and spdlog.
#include <winsock2.h>  // before anything includes windows.h (curl, Asio, gRPC need it first)

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <zlib.h>
#include <zstd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/asio.hpp"
#include "boost/beast/http.hpp"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "nlohmann/json.hpp"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/registry.h"
#include "smoke.grpc.pb.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"
#include "yaml-cpp/yaml.h"

namespace {

int failures = 0;

void Check(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what.c_str());
  std::fflush(stdout);
  if (!ok) ++failures;
}

class EchoService final : public silo::smoke::Echo::Service {
  grpc::Status Call(grpc::ServerContext*, const silo::smoke::Ping* in, silo::smoke::Ping* out) override {
    out->set_text(absl::StrCat("echo: ", in->text()));
    return grpc::Status::OK;
  }
};

void GrpcRoundTrip() {
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  EchoService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  Check(server != nullptr && port > 0, absl::StrCat("gRPC server listens on 127.0.0.1:", port));
  if (!server) return;
  auto stub = silo::smoke::Echo::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  silo::smoke::Ping request, reply;
  request.set_text("hi");
  grpc::Status status = stub->Call(&ctx, request, &reply);
  Check(status.ok() && reply.text() == "echo: hi",
        "gRPC call answered: " + (status.ok() ? reply.text() : status.error_message()));
  server->Shutdown();
}

void Protobuf() {
  google::protobuf::Duration d;
  d.set_seconds(42);
  google::protobuf::Duration back;
  back.ParseFromString(d.SerializeAsString());
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(back, &json);
  Check(json == "\"42s\"", "protobuf round trip and JSON: " + json);
}

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

void PrometheusScrapedByCurl() {
  auto registry = std::make_shared<prometheus::Registry>();
  prometheus::BuildCounter().Name("smoke_total").Help("smoke").Register(*registry).Add({}).Increment();
  prometheus::Exposer exposer{"127.0.0.1:0"};
  exposer.RegisterCollectable(registry);
  std::vector<int> ports = exposer.GetListeningPorts();
  Check(ports.size() == 1 && ports[0] > 0, "prometheus exposer (civetweb) listens");
  if (ports.empty()) return;

  curl_global_init(CURL_GLOBAL_ALL);
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  Check(info->ssl_version != nullptr && absl::StrContains(info->ssl_version, "Schannel"),
        absl::StrCat("curl TLS backend: ", info->ssl_version ? info->ssl_version : "none"));
  CURL* curl = curl_easy_init();
  std::string body;
  std::string url = absl::StrCat("http://127.0.0.1:", ports[0], "/metrics");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  curl_global_cleanup();
  Check(rc == CURLE_OK && absl::StrContains(body, "smoke_total 1"),
        absl::StrCat("curl scraped /metrics: ", curl_easy_strerror(rc)));
}

void ArchiveRoundTrip(int filter, const char* name) {
  std::vector<char> buffer(64 * 1024);
  size_t used = 0;
  const std::string content = "layer file\n";
  archive* w = archive_write_new();
  archive_write_set_format_pax_restricted(w);
  archive_write_add_filter(w, filter);
  archive_write_open_memory(w, buffer.data(), buffer.size(), &used);
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "etc/hostname");
  archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_write_header(w, e);
  archive_write_data(w, content.data(), content.size());
  archive_entry_free(e);
  archive_write_close(w);
  archive_write_free(w);

  archive* r = archive_read_new();
  archive_read_support_filter_all(r);
  archive_read_support_format_tar(r);
  std::string path, data(content.size(), '\0');
  if (archive_read_open_memory(r, buffer.data(), used) == ARCHIVE_OK && archive_read_next_header(r, &e) == ARCHIVE_OK) {
    path = archive_entry_pathname(e);
    archive_read_data(r, data.data(), data.size());
  }
  archive_read_free(r);
  Check(path == "etc/hostname" && data == content, absl::StrCat("libarchive ", name, " round trip (", used, " bytes)"));
}

void Sqlite() {
  sqlite3* db = nullptr;
  int count = -1;
  if (sqlite3_open(":memory:", &db) == SQLITE_OK &&
      sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1), (2);", nullptr, nullptr, nullptr) == SQLITE_OK) {
    sqlite3_exec(
        db, "SELECT count(*) FROM t;",
        [](void* out, int, char** values, char**) { *static_cast<int*>(out) = std::atoi(values[0]); return 0; },
        &count, nullptr);
  }
  sqlite3_close(db);
  Check(count == 2, absl::StrCat("SQLite ", sqlite3_libversion(), " counts rows"));
}

void Digests() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest("abc", 3, md, &len, EVP_sha256(), nullptr);
  std::string hex = absl::BytesToHexString(std::string(reinterpret_cast<char*>(md), len));
  Check(hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "OpenSSL SHA-256");

  const std::string text(4096, 'z');
  std::string packed(compressBound(text.size()), '\0'), unpacked(text.size(), '\0');
  uLongf packed_len = packed.size(), unpacked_len = unpacked.size();
  bool zok = compress(reinterpret_cast<Bytef*>(packed.data()), &packed_len,
                      reinterpret_cast<const Bytef*>(text.data()), text.size()) == Z_OK &&
             uncompress(reinterpret_cast<Bytef*>(unpacked.data()), &unpacked_len,
                        reinterpret_cast<const Bytef*>(packed.data()), packed_len) == Z_OK;
  Check(zok && unpacked == text, absl::StrCat("zlib ", zlibVersion(), " round trip"));

  std::string zpacked(ZSTD_compressBound(text.size()), '\0'), zunpacked(text.size(), '\0');
  size_t n = ZSTD_compress(zpacked.data(), zpacked.size(), text.data(), text.size(), 3);
  size_t m = ZSTD_isError(n) ? 0 : ZSTD_decompress(zunpacked.data(), zunpacked.size(), zpacked.data(), n);
  Check(m == text.size() && zunpacked == text, absl::StrCat("zstd ", ZSTD_versionString(), " round trip"));
}

void Formats() {
  YAML::Node node = YAML::Load("root: 'C:\\ProgramData\\silo'\n");
  Check(node["root"].as<std::string>() == "C:\\ProgramData\\silo", "yaml-cpp parses a Windows path");
  auto json = nlohmann::json::parse(R"({"listen":"npipe://./pipe/silo"})");
  Check(json["listen"] == "npipe://./pipe/silo", "nlohmann-json parses");

  namespace http = boost::beast::http;
  http::request<http::string_body> req{http::verb::get, "/v2/", 11};
  req.set(http::field::host, "localhost");
  std::ostringstream wire;
  wire << req;
  boost::asio::io_context io;
  bool ran = false;
  boost::asio::post(io, [&] { ran = true; });
  io.run();
  Check(ran && absl::StartsWith(wire.str(), "GET /v2/ HTTP/1.1"), "Boost.Beast request and Asio io_context");

  std::ostringstream log;
  auto logger = std::make_shared<spdlog::logger>("smoke", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  logger->info("status {}", absl::OkStatus().ToString());
  spdlog::info("spdlog to the console");
  Check(absl::StrContains(log.str(), "status OK"), "spdlog (external fmt) formats");
}

}  // namespace

int main() {
  Protobuf();
  Formats();
  Digests();
  Sqlite();
  ArchiveRoundTrip(ARCHIVE_FILTER_GZIP, "tar.gz");
  ArchiveRoundTrip(ARCHIVE_FILTER_ZSTD, "tar.zst");
  PrometheusScrapedByCurl();
  GrpcRoundTrip();
  std::printf("%s: %d failed\n", failures ? "FAILED" : "PASSED", failures);
  return failures ? 1 : 0;
}
