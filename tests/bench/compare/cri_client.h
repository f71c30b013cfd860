#pragma once
// CriClient: the project's CRI stubs over one unix socket, with every call
// timed. Works against any CRI v1 endpoint (silod, containerd).
// Thread-safe: gRPC stubs and channels may be shared by threads.

#include <chrono>
#include <memory>
#include <string>

#include "cri/api/cri_grpc.h"
#include "grpcpp/grpcpp.h"

namespace silo::bench {

struct CallResult {
  grpc::Status status;
  double ms = 0;
};

class CriClient {
 public:
  // `socket_path`: the CRI unix socket (no scheme).
  explicit CriClient(const std::string& socket_path);

  ::runtime::v1::RuntimeService::Stub& runtime() { return *runtime_; }
  ::runtime::v1::ImageService::Stub& images() { return *images_; }

  // Invokes `method` of `stub` with a deadline, timing the round trip.
  template <typename Stub, typename Req, typename Resp>
  static CallResult Invoke(Stub& stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                           const Req& req, Resp* resp,
                           std::chrono::seconds deadline = std::chrono::seconds(120)) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + deadline);
    auto t0 = std::chrono::steady_clock::now();
    grpc::Status s = (stub.*method)(&ctx, req, resp);
    auto t1 = std::chrono::steady_clock::now();
    return {std::move(s), std::chrono::duration<double, std::milli>(t1 - t0).count()};
  }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<::runtime::v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<::runtime::v1::ImageService::Stub> images_;
};

}  // namespace silo::bench
