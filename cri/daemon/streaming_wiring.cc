#include "cri/daemon/streaming_wiring.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "runtime/base/status_macros.h"

namespace silo::cri {

absl::StatusOr<std::unique_ptr<streaming::Server>> StartStreamingServer(const Config::Streaming& config,
                                                                        streaming::StreamingRuntime* runtime) {
  if (!config.tls_cert.empty()) {
    return absl::UnimplementedError("streaming.tls_cert: TLS for the streaming server is not supported yet");
  }
  streaming::ServerOptions options;
  size_t colon = config.address.rfind(':');
  uint32_t port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(config.address.substr(colon + 1), &port) || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("streaming.address: \"", config.address, "\" is not host:port"));
  }
  options.address = config.address.substr(0, colon);
  options.port = static_cast<uint16_t>(port);
  if (!absl::ParseDuration(config.token_ttl, &options.token_ttl)) {
    return absl::InvalidArgumentError(absl::StrCat("streaming.token_ttl: \"", config.token_ttl, "\" is not a duration"));
  }
  if (!absl::ParseDuration(config.idle_timeout, &options.idle_timeout)) {
    return absl::InvalidArgumentError(
        absl::StrCat("streaming.idle_timeout: \"", config.idle_timeout, "\" is not a duration"));
  }
  auto server = streaming::Server::Start(std::move(options), runtime);
  if (!server.ok()) return Annotate(server.status(), absl::StrCat("start streaming server on ", config.address));
  return server;
}

}  // namespace silo::cri
