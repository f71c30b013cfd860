#include <windows.h>

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "cri/daemon/front_door.h"
#include "cri/grpc/relay_admission.h"
#include "grpcpp/grpcpp.h"
#include "network/relay/npipe_relay_win32.h"
#include "network/relay/relayed_peers.h"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/hresult.h"
#include "spdlog/spdlog.h"

namespace silo::cri {
namespace {

constexpr char kPipeScheme[] = "npipe://";

// npipe://./pipe/silo, npipe:////./pipe/silo (kubelet's spelling) and
// npipe:\\.\pipe\silo all name \\.\pipe\silo. Only local pipes.
absl::StatusOr<std::wstring> PipeName(const std::string& endpoint) {
  std::string rest = absl::StrReplaceAll(endpoint.substr(sizeof(kPipeScheme) - 1), {{"\\", "/"}});
  while (absl::StartsWith(rest, "/")) rest.erase(0, 1);
  if (!absl::StartsWith(rest, "./pipe/") || rest.size() == 7 || rest.find('/', 7) != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen endpoint ", endpoint, " is not a local named pipe (want npipe://./pipe/NAME)"));
  }
  return win32::Utf8ToWide("\\\\.\\pipe\\" + rest.substr(7));
}

// The CRI server on a private loopback port, behind the named-pipe relay.
class PipeFrontDoor final : public FrontDoor {
 public:
  PipeFrontDoor(std::string endpoint, std::wstring pipe) : endpoint_(std::move(endpoint)), pipe_(std::move(pipe)) {}
  ~PipeFrontDoor() override { Close(); }

  const network::relay::RelayedPeers* admitted() const override { return &admitted_; }

  absl::StatusOr<std::unique_ptr<grpc::Server>> Serve(grpc::ServerBuilder& builder) override {
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
    interceptors.push_back(RelayAdmission(&admitted_));
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (!server || port <= 0) return absl::FailedPreconditionError("cannot start the CRI server on loopback");
    network::relay::NamedPipeRelayOptions options;
    options.pipe_name = pipe_;
    options.upstream_port = static_cast<uint16_t>(port);
    options.admitted = &admitted_;
    auto relay = network::relay::NamedPipeRelay::Start(std::move(options));
    if (!relay.ok()) {
      server->Shutdown();
      return runtime::windows::HrStatusToStatus(relay.status(), "serve named pipe", endpoint_);
    }
    relay_ = std::move(relay.value());
    spdlog::debug("CRI server on 127.0.0.1:{}, reachable only through {}", port, endpoint_);
    return server;
  }

  void Close() override {
    if (relay_) relay_->Stop();
    relay_.reset();
  }

 private:
  const std::string endpoint_;
  const std::wstring pipe_;
  network::relay::RelayedPeers admitted_;
  std::unique_ptr<network::relay::NamedPipeRelay> relay_;
};

// Loopback TCP, served by gRPC itself: an opt-in without access control.
class TcpFrontDoor final : public FrontDoor {
 public:
  explicit TcpFrontDoor(std::string address) : address_(std::move(address)) {}
  const network::relay::RelayedPeers* admitted() const override { return nullptr; }
  absl::StatusOr<std::unique_ptr<grpc::Server>> Serve(grpc::ServerBuilder& builder) override {
    builder.AddListeningPort(address_, grpc::InsecureServerCredentials());
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (!server) return absl::FailedPreconditionError(absl::StrCat("cannot serve CRI on ", address_));
    return server;
  }
  void Close() override {}

 private:
  const std::string address_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<FrontDoor>> PrepareFrontDoor(const std::string& endpoint) {
  if (absl::StartsWith(endpoint, "tcp://")) {
    spdlog::warn("CRI endpoint {} is loopback TCP: it has no access control", endpoint);
    return std::make_unique<TcpFrontDoor>(endpoint.substr(6));
  }
  if (!absl::StartsWith(endpoint, kPipeScheme)) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen endpoint ", endpoint, " is not supported on Windows (want npipe://./pipe/NAME)"));
  }
  absl::StatusOr<std::wstring> pipe = PipeName(endpoint);
  if (!pipe.ok()) return pipe.status();
  // A pipe of that name that exists (busy or waiting) belongs to another
  // server; the relay's FILE_FLAG_FIRST_PIPE_INSTANCE would refuse it anyway.
  if (WaitNamedPipeW(pipe->c_str(), 1) || GetLastError() != ERROR_FILE_NOT_FOUND) {
    return absl::FailedPreconditionError(
        absl::StrCat("another server is already listening on ", endpoint, "; stop it first"));
  }
  return std::make_unique<PipeFrontDoor>(endpoint, *std::move(pipe));
}

}  // namespace silo::cri
