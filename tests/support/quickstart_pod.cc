#include "tests/support/quickstart_pod.h"

#include <sched.h>
#include <unistd.h>

#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "runtime/base/file_util.h"
#include "tests/support/build_paths.h"
#include "tests/support/busybox_image.h"

namespace silo::testing {
namespace {

std::chrono::system_clock::time_point In(std::chrono::seconds s) { return std::chrono::system_clock::now() + s; }

template <typename Message>
Message LoadJson(const std::string& path) {
  Message out;
  auto text = ReadFile(path);
  EXPECT_TRUE(text.ok()) << text.status();
  if (!text.ok()) return out;
  auto s = google::protobuf::util::JsonStringToMessage(*text, &out);
  EXPECT_TRUE(s.ok()) << path << ": " << s.ToString();
  return out;
}

// Runs `cmd` with /bin/sh; its stdout (trailing newline removed), or "" and a
// test failure when it exits non-zero.
std::string ShOutput(const std::string& cmd) {
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  size_t n;
  while (p != nullptr && (n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int rc = p != nullptr ? ::pclose(p) : -1;
  EXPECT_EQ(rc, 0) << cmd << ": " << out;
  return std::string(absl::StripTrailingAsciiWhitespace(out));
}

}  // namespace

void QuickStartPodTest::SetUp() {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  if (::access("/bin/busybox", X_OK) != 0 || Sh("command -v runc >/dev/null") != 0 ||
      ::access("/usr/lib/cni/bridge", X_OK) != 0) {
    GTEST_SKIP() << "needs busybox-static, runc and containernetworking-plugins";
  }
  ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << "unshare(CLONE_NEWNET)";
  ASSERT_EQ(Sh("ip link set lo up"), 0);
  subnet_ = ShOutput(absl::StrCat(SourceDir(), "/deploy/quickstart/setup.sh ", base_.path()));
  ASSERT_FALSE(subnet_.empty());

  auto reg = image::registry::testing::LocalRegistry::Start({.port = kRegistryPort});
  ASSERT_TRUE(reg.ok()) << reg.status();
  registry_ = std::move(*reg);
  auto image = PushBusyboxImage(registry_.get(), scratch_.path(), "silo/busybox");
  ASSERT_TRUE(image.ok()) << image.status();
  ASSERT_EQ(*image, ContainerConfig().image().image()) << "container.json names another image";

  auto p = SilodProcess::Start(
      {.dir = base_.path(), .metrics_port = kMetricsPort, .config_file = base_.path() + "/silod.yaml"});
  ASSERT_TRUE(p.ok()) << p.status();
  silod_ = std::move(*p);
  rt_ = silod_->RuntimeStub();
  img_ = silod_->ImageStub();
}

void QuickStartPodTest::TearDown() {
  if (silod_ != nullptr) {
    EXPECT_EQ(silod_->Stop(kSigTerm), 0) << silod_->Output();
  }
}

::runtime::v1::PodSandboxConfig QuickStartPodTest::PodConfig() {
  return LoadJson<::runtime::v1::PodSandboxConfig>(base_.path() + "/pod.json");
}

::runtime::v1::ContainerConfig QuickStartPodTest::ContainerConfig() {
  return LoadJson<::runtime::v1::ContainerConfig>(base_.path() + "/container.json");
}

void QuickStartPodTest::Pull(const std::string& image) {
  grpc::ClientContext ctx;
  ctx.set_deadline(In(std::chrono::seconds(60)));
  ::runtime::v1::PullImageRequest req;
  req.mutable_image()->set_image(image);
  ::runtime::v1::PullImageResponse resp;
  grpc::Status s = img_->PullImage(&ctx, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(resp.image_ref().empty());
}

std::string QuickStartPodTest::RunPod(const ::runtime::v1::PodSandboxConfig& pod) {
  grpc::ClientContext ctx;
  ctx.set_deadline(In(std::chrono::seconds(60)));
  ::runtime::v1::RunPodSandboxRequest req;
  *req.mutable_config() = pod;
  ::runtime::v1::RunPodSandboxResponse resp;
  grpc::Status s = rt_->RunPodSandbox(&ctx, req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.pod_sandbox_id();
}

std::string QuickStartPodTest::CreateAndStart(const std::string& pod_id, const ::runtime::v1::PodSandboxConfig& pod,
                                              const ::runtime::v1::ContainerConfig& config) {
  grpc::ClientContext ctx;
  ctx.set_deadline(In(std::chrono::seconds(60)));
  ::runtime::v1::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod_id);
  *req.mutable_config() = config;
  *req.mutable_sandbox_config() = pod;
  ::runtime::v1::CreateContainerResponse resp;
  grpc::Status s = rt_->CreateContainer(&ctx, req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  if (!s.ok()) return "";
  grpc::ClientContext sctx;
  sctx.set_deadline(In(std::chrono::seconds(60)));
  ::runtime::v1::StartContainerRequest start;
  start.set_container_id(resp.container_id());
  ::runtime::v1::StartContainerResponse started;
  s = rt_->StartContainer(&sctx, start, &started);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.container_id();
}

::runtime::v1::ExecSyncResponse QuickStartPodTest::Exec(const std::string& container_id,
                                                        std::vector<std::string> cmd) {
  grpc::ClientContext ctx;
  ctx.set_deadline(In(std::chrono::seconds(60)));
  ::runtime::v1::ExecSyncRequest req;
  req.set_container_id(container_id);
  for (auto& c : cmd) req.add_cmd(std::move(c));
  req.set_timeout(30);
  ::runtime::v1::ExecSyncResponse resp;
  grpc::Status s = rt_->ExecSync(&ctx, req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp;
}

void QuickStartPodTest::StopAndRemovePod(const std::string& pod_id) {
  grpc::ClientContext sctx, rctx;
  sctx.set_deadline(In(std::chrono::seconds(60)));
  rctx.set_deadline(In(std::chrono::seconds(60)));
  ::runtime::v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(pod_id);
  ::runtime::v1::StopPodSandboxResponse stopped;
  grpc::Status s = rt_->StopPodSandbox(&sctx, stop, &stopped);
  EXPECT_TRUE(s.ok()) << s.error_message();
  ::runtime::v1::RemovePodSandboxRequest rm;
  rm.set_pod_sandbox_id(pod_id);
  ::runtime::v1::RemovePodSandboxResponse removed;
  s = rt_->RemovePodSandbox(&rctx, rm, &removed);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

}  // namespace silo::testing
