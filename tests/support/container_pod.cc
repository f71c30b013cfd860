#include "tests/support/container_pod.h"

#include <unistd.h>

#include <filesystem>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"

namespace silo::testing {
namespace {

using image::registry::testing::LocalRegistry;

std::chrono::system_clock::time_point In(std::chrono::seconds s) { return std::chrono::system_clock::now() + s; }

}  // namespace

void ContainerPodTest::SetUp() {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  if (::access("/bin/busybox", X_OK) != 0 || Sh("command -v runc >/dev/null") != 0) {
    GTEST_SKIP() << "needs busybox-static and runc";
  }
  auto reg = LocalRegistry::Start();
  ASSERT_TRUE(reg.ok()) << reg.status();
  registry_ = std::move(*reg);
  auto image = PushBusyboxImage(registry_.get(), scratch_.path());
  ASSERT_TRUE(image.ok()) << image.status();
  image_ = *image;
  StartSilod();
  ASSERT_TRUE(silod_ != nullptr);

  auto img = silod_->ImageStub();
  grpc::ClientContext ctx;
  ctx.set_deadline(In(std::chrono::seconds(60)));
  ::runtime::v1::PullImageRequest pull;
  pull.mutable_image()->set_image(image_);
  ::runtime::v1::PullImageResponse pulled;
  grpc::Status s = img->PullImage(&ctx, pull, &pulled);
  ASSERT_TRUE(s.ok()) << s.error_message();

  pod_.mutable_metadata()->set_name("pod-" + std::filesystem::path(silod_dir_.path()).filename().string());
  pod_.mutable_metadata()->set_namespace_("default");
  pod_.mutable_metadata()->set_uid("uid-" + pod_.metadata().name());
  pod_.set_log_directory(logs_.path());
  pod_.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(::runtime::v1::NODE);
  // As kubelet sends for an ordinary pod: the proto default (POD) would
  // share one PID namespace between the pod's containers.
  pod_.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(::runtime::v1::CONTAINER);
  grpc::ClientContext rctx;
  rctx.set_deadline(In(std::chrono::seconds(60)));
  ::runtime::v1::RunPodSandboxRequest run;
  *run.mutable_config() = pod_;
  ::runtime::v1::RunPodSandboxResponse ran;
  s = rt_->RunPodSandbox(&rctx, run, &ran);
  ASSERT_TRUE(s.ok()) << s.error_message();
  pod_id_ = ran.pod_sandbox_id();
}

void ContainerPodTest::TearDown() {
  if (!rt_) return;
  // Leave nothing behind even when a test failed midway.
  for (const auto& c : List()) EXPECT_TRUE(Remove(c.id()).ok()) << c.id();
  if (!pod_id_.empty()) {
    grpc::ClientContext sctx, rctx;
    ::runtime::v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(pod_id_);
    ::runtime::v1::StopPodSandboxResponse stopped;
    EXPECT_TRUE(rt_->StopPodSandbox(&sctx, stop, &stopped).ok());
    ::runtime::v1::RemovePodSandboxRequest rm;
    rm.set_pod_sandbox_id(pod_id_);
    ::runtime::v1::RemovePodSandboxResponse removed;
    EXPECT_TRUE(rt_->RemovePodSandbox(&rctx, rm, &removed).ok());
  }
  const std::string state = silod_->state();
  auto mountinfo = ReadFile("/proc/self/mountinfo");
  ASSERT_TRUE(mountinfo.ok());
  EXPECT_FALSE(absl::StrContains(*mountinfo, state + "/containers")) << "rootfs mount left behind";
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(state + "/runc", ec)) {
    ADD_FAILURE() << "runc state left behind: " << e.path();
  }
  EXPECT_EQ(silod_->Stop(kSigTerm), 0);
}

void ContainerPodTest::StartSilod() {
  rt_.reset();
  silod_.reset();  // a stopped one; a failed start leaves silod_ null
  auto p = SilodProcess::Start({.dir = silod_dir_.path(),
                                .extra_yaml = absl::StrCat("registry: {insecure: [\"", registry_->host(), "\"]}\n",
                                                           extra_yaml_)});
  ASSERT_TRUE(p.ok()) << p.status();
  silod_ = std::move(*p);
  rt_ = silod_->RuntimeStub();
}

::runtime::v1::ContainerConfig ContainerPodTest::Config(const std::string& name, std::vector<std::string> command) {
  ::runtime::v1::ContainerConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_image()->set_image(image_);
  for (auto& a : command) c.add_command(a);
  c.set_log_path(name + "/0.log");
  (*c.mutable_labels())["name"] = name;
  return c;
}

grpc::Status ContainerPodTest::Create(const ::runtime::v1::ContainerConfig& config, std::string* id) {
  grpc::ClientContext ctx;
  ctx.set_deadline(In(std::chrono::seconds(30)));
  ::runtime::v1::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod_id_);
  *req.mutable_config() = config;
  *req.mutable_sandbox_config() = pod_;
  ::runtime::v1::CreateContainerResponse resp;
  grpc::Status s = rt_->CreateContainer(&ctx, req, &resp);
  *id = resp.container_id();
  return s;
}

grpc::Status ContainerPodTest::Start(const std::string& id) {
  grpc::ClientContext ctx;
  ctx.set_deadline(In(std::chrono::seconds(30)));
  ::runtime::v1::StartContainerRequest req;
  req.set_container_id(id);
  ::runtime::v1::StartContainerResponse resp;
  return rt_->StartContainer(&ctx, req, &resp);
}

grpc::Status ContainerPodTest::Stop(const std::string& id, int64_t timeout) {
  grpc::ClientContext ctx;
  ctx.set_deadline(In(std::chrono::seconds(60)));
  ::runtime::v1::StopContainerRequest req;
  req.set_container_id(id);
  req.set_timeout(timeout);
  ::runtime::v1::StopContainerResponse resp;
  return rt_->StopContainer(&ctx, req, &resp);
}

grpc::Status ContainerPodTest::Remove(const std::string& id) {
  grpc::ClientContext ctx;
  ctx.set_deadline(In(std::chrono::seconds(60)));
  ::runtime::v1::RemoveContainerRequest req;
  req.set_container_id(id);
  ::runtime::v1::RemoveContainerResponse resp;
  return rt_->RemoveContainer(&ctx, req, &resp);
}

grpc::Status ContainerPodTest::StatusOf(const std::string& id, ::runtime::v1::ContainerStatus* status) {
  grpc::ClientContext ctx;
  ctx.set_deadline(In(std::chrono::seconds(30)));
  ::runtime::v1::ContainerStatusRequest req;
  req.set_container_id(id);
  ::runtime::v1::ContainerStatusResponse resp;
  grpc::Status s = rt_->ContainerStatus(&ctx, req, &resp);
  *status = resp.status();
  return s;
}

::runtime::v1::ContainerStatus ContainerPodTest::Status(const std::string& id) {
  ::runtime::v1::ContainerStatus st;
  grpc::Status s = StatusOf(id, &st);
  EXPECT_TRUE(s.ok()) << id << ": " << s.error_message();
  return st;
}

std::vector<::runtime::v1::Container> ContainerPodTest::List() {
  grpc::ClientContext ctx;
  ctx.set_deadline(In(std::chrono::seconds(30)));
  ::runtime::v1::ListContainersResponse list;
  grpc::Status s = rt_->ListContainers(&ctx, {}, &list);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return {list.containers().begin(), list.containers().end()};
}

::runtime::v1::ContainerStatus ContainerPodTest::WaitState(const std::string& id,
                                                           ::runtime::v1::ContainerState state,
                                                           std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  ::runtime::v1::ContainerStatus st = Status(id);
  while (st.state() != state && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    st = Status(id);
  }
  return st;
}

}  // namespace silo::testing
