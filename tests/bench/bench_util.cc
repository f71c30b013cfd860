#include "tests/bench/bench_util.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "runtime/base/status_macros.h"
#include "tests/support/busybox_image.h"

namespace silo::bench {

int Fail(const std::string& what) {
  std::fprintf(stderr, "bench: %s\n", what.c_str());
  return 1;
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

absl::StatusOr<BusyboxSilod> StartBusyboxSilod(const std::string& dir, const std::string& scratch) {
  BusyboxSilod b;
  SILO_ASSIGN_OR_RETURN(b.registry, image::registry::testing::LocalRegistry::Start());
  SILO_ASSIGN_OR_RETURN(b.image, testing::PushBusyboxImage(b.registry.get(), scratch));
  SILO_ASSIGN_OR_RETURN(
      b.silod, testing::SilodProcess::Start(
                   {.dir = dir, .extra_yaml = absl::StrCat("registry: {insecure: [\"", b.registry->host(), "\"]}\n")}));
  b.rt = b.silod->RuntimeStub();
  b.img = b.silod->ImageStub();
  ::runtime::v1::PullImageRequest pull;
  pull.mutable_image()->set_image(b.image);
  ::runtime::v1::PullImageResponse pulled;
  grpc::Status s = Call([&](auto* c, const auto& r, auto* o) { return b.img->PullImage(c, r, o); }, pull, &pulled);
  if (!s.ok()) return absl::UnavailableError("PullImage: " + s.error_message());
  return b;
}

absl::StatusOr<std::string> RunHostNetworkPod(::runtime::v1::RuntimeService::Stub* rt, const std::string& name,
                                              const std::string& log_dir, ::runtime::v1::PodSandboxConfig* pod) {
  pod->mutable_metadata()->set_name(name);
  pod->mutable_metadata()->set_namespace_("default");
  pod->mutable_metadata()->set_uid("uid-" + name);
  pod->set_log_directory(log_dir);
  auto* ns = pod->mutable_linux()->mutable_security_context()->mutable_namespace_options();
  ns->set_network(::runtime::v1::NODE);
  ns->set_pid(::runtime::v1::CONTAINER);
  ::runtime::v1::RunPodSandboxRequest run;
  *run.mutable_config() = *pod;
  ::runtime::v1::RunPodSandboxResponse ran;
  grpc::Status s = Call([&](auto* c, const auto& r, auto* o) { return rt->RunPodSandbox(c, r, o); }, run, &ran);
  if (!s.ok()) return absl::UnavailableError("RunPodSandbox: " + s.error_message());
  return ran.pod_sandbox_id();
}

void RemovePod(::runtime::v1::RuntimeService::Stub* rt, const std::string& id) {
  ::runtime::v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(id);
  ::runtime::v1::StopPodSandboxResponse stopped;
  (void)Call([&](auto* c, const auto& r, auto* o) { return rt->StopPodSandbox(c, r, o); }, stop, &stopped);
  ::runtime::v1::RemovePodSandboxRequest remove;
  remove.set_pod_sandbox_id(id);
  ::runtime::v1::RemovePodSandboxResponse removed;
  (void)Call([&](auto* c, const auto& r, auto* o) { return rt->RemovePodSandbox(c, r, o); }, remove, &removed);
}

}  // namespace silo::bench
