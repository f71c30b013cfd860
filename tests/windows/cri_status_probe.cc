// A Linux CRI client for the Wine tests: calls Version and Status on
// ADDRESS (e.g. 127.0.0.1:PORT, where pipe_loopback_client.exe relays to
// silod.exe's named pipe) and prints one line per fact:
//   version <runtime_name> <runtime_version> <runtime_api_version>
//   condition <type> <true|false> <reason> <message>
//   handler <name>
// Exit codes: 0 both calls answered, 1 a call failed (printed), 2 usage.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "cri/api/cri_grpc.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: cri_status_probe ADDRESS\n");
    return 2;
  }
  auto channel = grpc::CreateChannel(argv[1], grpc::InsecureChannelCredentials());
  auto stub = runtime::v1::RuntimeService::NewStub(channel);
  const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(60);

  grpc::ClientContext version_context;
  version_context.set_deadline(deadline);
  runtime::v1::VersionRequest version_request;
  runtime::v1::VersionResponse version;
  grpc::Status s = stub->Version(&version_context, version_request, &version);
  if (!s.ok()) {
    std::printf("error Version %d %s\n", static_cast<int>(s.error_code()), s.error_message().c_str());
    return 1;
  }
  std::printf("version %s %s %s\n", version.runtime_name().c_str(), version.runtime_version().c_str(),
              version.runtime_api_version().c_str());

  grpc::ClientContext status_context;
  status_context.set_deadline(deadline);
  runtime::v1::StatusRequest status_request;
  runtime::v1::StatusResponse status;
  s = stub->Status(&status_context, status_request, &status);
  if (!s.ok()) {
    std::printf("error Status %d %s\n", static_cast<int>(s.error_code()), s.error_message().c_str());
    return 1;
  }
  for (const auto& c : status.status().conditions()) {
    std::printf("condition %s %s %s %s\n", c.type().c_str(), c.status() ? "true" : "false", c.reason().c_str(),
                c.message().c_str());
  }
  for (const auto& h : status.runtime_handlers()) std::printf("handler %s\n", h.name().c_str());
  return 0;
}
