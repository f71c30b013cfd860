#include "cri/grpc/relay_admission.h"

#include <string>

#include "grpcpp/server_context.h"
#include "spdlog/spdlog.h"

namespace silo::cri {
namespace {

using grpc::experimental::InterceptionHookPoints;

class AdmissionInterceptor final : public grpc::experimental::Interceptor {
 public:
  AdmissionInterceptor(grpc::experimental::ServerRpcInfo* info, const network::relay::RelayedPeers* admitted)
      : info_(info), admitted_(admitted) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    // The first point at which a server call has a peer; nothing of the
    // request has reached a handler yet. (TryCancel re-enters this
    // interceptor at PRE_SEND_CANCEL, which just proceeds.)
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      grpc::ServerContextBase* context = info_->server_context();
      const std::string peer = context->peer();
      if (!admitted_->Admits(peer)) {
        spdlog::warn("refused {} from {}: CRI calls are served only through the named pipe", info_->method(), peer);
        context->TryCancel();
      }
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* const info_;
  const network::relay::RelayedPeers* const admitted_;
};

class AdmissionFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit AdmissionFactory(const network::relay::RelayedPeers* admitted) : admitted_(admitted) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    return new AdmissionInterceptor(info, admitted_);
  }

 private:
  const network::relay::RelayedPeers* const admitted_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> RelayAdmission(
    const network::relay::RelayedPeers* admitted) {
  return std::make_unique<AdmissionFactory>(admitted);
}

}  // namespace silo::cri
