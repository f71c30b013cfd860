#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "cri/daemon/front_door.h"
#include "cri/daemon/listener.h"
#include "grpcpp/grpcpp.h"
#include "runtime/base/status_macros.h"

namespace silo::cri {
namespace {

// The unix socket (or opted-in loopback TCP) that gRPC serves itself.
class SocketFrontDoor final : public FrontDoor {
 public:
  SocketFrontDoor(std::string endpoint, std::string address)
      : endpoint_(std::move(endpoint)), address_(std::move(address)) {}
  ~SocketFrontDoor() override { Close(); }

  const network::relay::RelayedPeers* admitted() const override { return nullptr; }

  absl::StatusOr<std::unique_ptr<grpc::Server>> Serve(grpc::ServerBuilder& builder) override {
    builder.AddListeningPort(address_, grpc::InsecureServerCredentials());
    // The socket must never be reachable by other users, even for an instant.
    mode_t old_umask = ::umask(0117);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    ::umask(old_umask);
    if (!server) return absl::FailedPreconditionError(absl::StrCat("cannot serve CRI on ", endpoint_));
    opened_ = true;
    absl::Status secured = SecureListenEndpoint(endpoint_);
    if (!secured.ok()) {
      server->Shutdown();
      Close();
      return secured;
    }
    return server;
  }

  void Close() override {
    if (opened_) RemoveListenEndpoint(endpoint_);
    opened_ = false;
  }

 private:
  const std::string endpoint_;
  const std::string address_;
  bool opened_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<FrontDoor>> PrepareFrontDoor(const std::string& endpoint) {
  SILO_ASSIGN_OR_RETURN(std::string address, PrepareListenEndpoint(endpoint));
  return std::make_unique<SocketFrontDoor>(endpoint, std::move(address));
}

}  // namespace silo::cri
