#pragma once
// What the hand-run benchmarks share: error exit, timing arithmetic, a CRI
// call with a deadline, and a silod with the busybox test image pulled.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cri/api/cri_grpc.h"
#include "image/registry/testing/local_registry.h"
#include "tests/support/silod_process.h"

namespace silo::bench {

using Clock = std::chrono::steady_clock;

// Prints "bench: <what>" to stderr; returns main's exit code 1.
int Fail(const std::string& what);
double Ms(Clock::duration d);
// The p-quantile (0..1) by nearest rank; 0 for no samples.
double Percentile(std::vector<double> v, double p);

// One unary CRI call with a 60 s deadline: Call([&](auto* c, const auto& r, auto* o) { return stub->X(c, r, o); }, req, &resp).
template <typename Req, typename Resp, typename Fn>
grpc::Status Call(Fn fn, const Req& req, Resp* resp) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return fn(&ctx, req, resp);
}

// A local registry holding the busybox image, and silod (on `dir`) that has
// pulled it.
struct BusyboxSilod {
  std::unique_ptr<image::registry::testing::LocalRegistry> registry;
  std::unique_ptr<testing::SilodProcess> silod;
  std::unique_ptr<::runtime::v1::RuntimeService::Stub> rt;
  std::unique_ptr<::runtime::v1::ImageService::Stub> img;
  std::string image;
};
absl::StatusOr<BusyboxSilod> StartBusyboxSilod(const std::string& dir, const std::string& scratch);

// A host-network pod whose containers each get their own PID namespace (the
// cheapest pod: no CNI), logging under `log_dir`. Its config goes to `pod`.
absl::StatusOr<std::string> RunHostNetworkPod(::runtime::v1::RuntimeService::Stub* rt, const std::string& name,
                                              const std::string& log_dir, ::runtime::v1::PodSandboxConfig* pod);
// Stops and removes a pod, best effort (the benchmark is over).
void RemovePod(::runtime::v1::RuntimeService::Stub* rt, const std::string& id);

}  // namespace silo::bench
