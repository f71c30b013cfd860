// Containers through the real silod: a busybox image the test builds and
// pushes to a local docker-registry, pulled over CRI, run in a host-network
// pod (no CNI needed) by runc under silo-shim.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "image/registry/manifest.h"
#include "image/registry/testing/local_registry.h"
#include "image/registry/testing/oci_layout.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"
#include "tests/support/busybox_image.h"
#include "tests/support/silod_process.h"

namespace silo::testing {
namespace {

using image::registry::testing::LocalRegistry;
using image::registry::testing::OciLayout;
using Clock = std::chrono::steady_clock;

class ContainerIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    if (::access("/bin/busybox", X_OK) != 0 || Sh("command -v runc >/dev/null") != 0) {
      GTEST_SKIP() << "needs busybox-static and runc";
    }
    auto reg = LocalRegistry::Start();
    ASSERT_TRUE(reg.ok()) << reg.status();
    registry_ = std::move(*reg);
    ASSERT_TRUE(BuildBusyboxImage(layout_dir_.path(), scratch_.path(), {"FROM_IMAGE=yes"}).ok());
    ASSERT_TRUE(registry_->Push(layout_dir_.path(), "v1", "test/busybox").ok());
    image_ = absl::StrCat(registry_->host(), "/test/busybox:v1");

    auto p = SilodProcess::Start({.dir = silod_dir_.path(),
                                  .extra_yaml = absl::StrCat("registry: {insecure: [\"", registry_->host(), "\"]}\n")});
    ASSERT_TRUE(p.ok()) << p.status();
    silod_ = std::move(*p);
    rt_ = silod_->RuntimeStub();
    img_ = silod_->ImageStub();

    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    ::runtime::v1::PullImageRequest pull;
    pull.mutable_image()->set_image(image_);
    ::runtime::v1::PullImageResponse pulled;
    grpc::Status s = img_->PullImage(&ctx, pull, &pulled);
    ASSERT_TRUE(s.ok()) << s.error_message();

    pod_.mutable_metadata()->set_name("ctr-pod");
    pod_.mutable_metadata()->set_namespace_("default");
    pod_.mutable_metadata()->set_uid("uid-ctr-pod");
    pod_.set_log_directory(logs_.path());
    pod_.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(::runtime::v1::NODE);
    pod_.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(::runtime::v1::CONTAINER);
    grpc::ClientContext rctx;
    ::runtime::v1::RunPodSandboxRequest run;
    *run.mutable_config() = pod_;
    ::runtime::v1::RunPodSandboxResponse ran;
    s = rt_->RunPodSandbox(&rctx, run, &ran);
    ASSERT_TRUE(s.ok()) << s.error_message();
    pod_id_ = ran.pod_sandbox_id();
  }

  void TearDown() override {
    if (!rt_) return;
    // Leave nothing behind even when a test failed midway.
    ::runtime::v1::ListContainersResponse list;
    {
      grpc::ClientContext ctx;
      (void)rt_->ListContainers(&ctx, {}, &list);
    }
    for (const auto& c : list.containers()) EXPECT_TRUE(Remove(c.id()).ok()) << c.id();
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

  ::runtime::v1::ContainerConfig Config(const std::string& name, std::vector<std::string> command) {
    ::runtime::v1::ContainerConfig c;
    c.mutable_metadata()->set_name(name);
    c.mutable_image()->set_image(image_);
    for (auto& a : command) c.add_command(a);
    c.set_log_path(name + "/0.log");
    (*c.mutable_labels())["name"] = name;
    auto* env = c.add_envs();
    env->set_key("FROM_CRI");
    env->set_value("yes");
    return c;
  }

  grpc::Status Create(const ::runtime::v1::ContainerConfig& config, std::string* id) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    ::runtime::v1::CreateContainerRequest req;
    req.set_pod_sandbox_id(pod_id_);
    *req.mutable_config() = config;
    *req.mutable_sandbox_config() = pod_;
    ::runtime::v1::CreateContainerResponse resp;
    grpc::Status s = rt_->CreateContainer(&ctx, req, &resp);
    *id = resp.container_id();
    return s;
  }

  grpc::Status Start(const std::string& id) {
    grpc::ClientContext ctx;
    ::runtime::v1::StartContainerRequest req;
    req.set_container_id(id);
    ::runtime::v1::StartContainerResponse resp;
    return rt_->StartContainer(&ctx, req, &resp);
  }

  grpc::Status Stop(const std::string& id, int64_t timeout) {
    grpc::ClientContext ctx;
    ::runtime::v1::StopContainerRequest req;
    req.set_container_id(id);
    req.set_timeout(timeout);
    ::runtime::v1::StopContainerResponse resp;
    return rt_->StopContainer(&ctx, req, &resp);
  }

  grpc::Status Remove(const std::string& id) {
    grpc::ClientContext ctx;
    ::runtime::v1::RemoveContainerRequest req;
    req.set_container_id(id);
    ::runtime::v1::RemoveContainerResponse resp;
    return rt_->RemoveContainer(&ctx, req, &resp);
  }

  ::runtime::v1::ContainerStatus Status(const std::string& id) {
    grpc::ClientContext ctx;
    ::runtime::v1::ContainerStatusRequest req;
    req.set_container_id(id);
    ::runtime::v1::ContainerStatusResponse resp;
    grpc::Status s = rt_->ContainerStatus(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.status();
  }

  // Polls ContainerStatus until the container has exited (bounded).
  ::runtime::v1::ContainerStatus WaitExited(const std::string& id) {
    auto deadline = Clock::now() + std::chrono::seconds(20);
    ::runtime::v1::ContainerStatus st = Status(id);
    while (st.state() != ::runtime::v1::CONTAINER_EXITED && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      st = Status(id);
    }
    return st;
  }

  TempDir layout_dir_, scratch_, silod_dir_, logs_;
  std::unique_ptr<LocalRegistry> registry_;
  std::unique_ptr<SilodProcess> silod_;
  std::unique_ptr<::runtime::v1::RuntimeService::Stub> rt_;
  std::unique_ptr<::runtime::v1::ImageService::Stub> img_;
  std::string image_, pod_id_;
  ::runtime::v1::PodSandboxConfig pod_;
};

TEST_F(ContainerIntegrationTest, RunsToExitWithCodeReasonAndCriLog) {
  std::string id;
  grpc::Status s = Create(Config("fails", {"/bin/sh", "-c", "echo hello; echo oops >&2; exit 3"}), &id);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ::runtime::v1::ContainerStatus st = Status(id);
  EXPECT_EQ(st.state(), ::runtime::v1::CONTAINER_CREATED);
  EXPECT_EQ(st.metadata().name(), "fails");
  EXPECT_EQ(st.image().image(), image_);
  EXPECT_EQ(st.image_ref().rfind("sha256:", 0), 0u) << st.image_ref();
  EXPECT_EQ(st.log_path(), logs_.path() + "/fails/0.log");
  EXPECT_EQ(st.labels().at("name"), "fails");

  // The same name again is refused, naming the holder.
  std::string dup;
  s = Create(Config("fails", {"/bin/busybox", "true"}), &dup);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), id)) << s.error_message();

  ASSERT_TRUE(Start(id).ok());
  st = WaitExited(id);
  ASSERT_EQ(st.state(), ::runtime::v1::CONTAINER_EXITED);
  EXPECT_EQ(st.exit_code(), 3);
  EXPECT_EQ(st.reason(), "Error");
  EXPECT_GT(st.started_at(), 0);
  EXPECT_GE(st.finished_at(), st.started_at());

  auto log = ReadFile(st.log_path());
  ASSERT_TRUE(log.ok()) << log.status();
  std::vector<std::string> lines = absl::StrSplit(*log, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << *log;
  std::vector<std::string> tails;
  for (const auto& line : lines) {
    std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits(' ', 1));
    ASSERT_EQ(parts.size(), 2u) << line;
    EXPECT_TRUE(absl::StrContains(parts[0], "T")) << line;  // RFC 3339 timestamp
    tails.push_back(parts[1]);
  }
  std::sort(tails.begin(), tails.end());
  EXPECT_EQ(tails[0], "stderr F oops");
  EXPECT_EQ(tails[1], "stdout F hello");

  // Stop of an exited container is a no-op; of an unknown one NotFound.
  EXPECT_TRUE(Stop(id, 1).ok());
  EXPECT_EQ(Stop("no-such-container", 1).error_code(), grpc::StatusCode::NOT_FOUND);

  // List filters by state and label.
  ::runtime::v1::ListContainersRequest lreq;
  lreq.mutable_filter()->mutable_state()->set_state(::runtime::v1::CONTAINER_EXITED);
  (*lreq.mutable_filter()->mutable_label_selector())["name"] = "fails";
  lreq.mutable_filter()->set_pod_sandbox_id(pod_id_.substr(0, 12));  // a unique prefix will do
  ::runtime::v1::ListContainersResponse list;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(rt_->ListContainers(&ctx, lreq, &list).ok());
  }
  ASSERT_EQ(list.containers_size(), 1);
  EXPECT_EQ(list.containers(0).id(), id);
  EXPECT_EQ(list.containers(0).pod_sandbox_id(), pod_id_);
  lreq.mutable_filter()->mutable_state()->set_state(::runtime::v1::CONTAINER_RUNNING);
  list.Clear();
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(rt_->ListContainers(&ctx, lreq, &list).ok());
  }
  EXPECT_EQ(list.containers_size(), 0);

  ASSERT_TRUE(Remove(id).ok());
  EXPECT_TRUE(Remove(id).ok());  // idempotent
  grpc::ClientContext ctx;
  ::runtime::v1::ContainerStatusRequest req;
  req.set_container_id(id);
  ::runtime::v1::ContainerStatusResponse resp;
  EXPECT_EQ(rt_->ContainerStatus(&ctx, req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  // The name is free again.
  std::string again;
  s = Create(Config("fails", {"/bin/busybox", "true"}), &again);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(ContainerIntegrationTest, ExecSyncThenStopAndRemoveRunningContainer) {
  std::string id;
  grpc::Status s = Create(Config("sleeper", {"/bin/busybox", "sleep", "1000"}), &id);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(Start(id).ok());
  EXPECT_EQ(Status(id).state(), ::runtime::v1::CONTAINER_RUNNING);

  {
    grpc::ClientContext ctx;
    ::runtime::v1::ExecSyncRequest req;
    req.set_container_id(id);
    req.add_cmd("/bin/sh");
    req.add_cmd("-c");
    req.add_cmd("echo hi $FROM_IMAGE $FROM_CRI; test -s /etc/resolv.conf && echo dns; echo err >&2; exit 2");
    req.set_timeout(10);
    ::runtime::v1::ExecSyncResponse resp;
    s = rt_->ExecSync(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.stdout(), "hi yes yes\ndns\n");  // env merged, pod's resolv.conf mounted
    EXPECT_EQ(resp.stderr(), "err\n");
    EXPECT_EQ(resp.exit_code(), 2);
  }
  {
    grpc::ClientContext ctx;
    ::runtime::v1::ExecSyncRequest req;
    req.set_container_id(id);
    for (const char* a : {"/bin/busybox", "sleep", "5"}) req.add_cmd(a);
    req.set_timeout(1);
    ::runtime::v1::ExecSyncResponse resp;
    auto start = Clock::now();
    s = rt_->ExecSync(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << s.error_message();
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(4));
  }

  // busybox sleep as pid 1 ignores SIGTERM, so Stop escalates to SIGKILL
  // after the 1 s grace period.
  auto start = Clock::now();
  ASSERT_TRUE(Stop(id, 1).ok());
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  ::runtime::v1::ContainerStatus st = Status(id);
  EXPECT_EQ(st.state(), ::runtime::v1::CONTAINER_EXITED);
  EXPECT_EQ(st.exit_code(), 128 + 9);
  EXPECT_EQ(st.reason(), "Error");
  EXPECT_TRUE(Stop(id, 1).ok());  // idempotent
  ASSERT_TRUE(Remove(id).ok());
}

TEST_F(ContainerIntegrationTest, RemoveKillsARunningContainerAndCreateChecksImageAndSandbox) {
  std::string id;
  ASSERT_TRUE(Create(Config("victim", {"/bin/busybox", "sleep", "1000"}), &id).ok());
  ASSERT_TRUE(Start(id).ok());
  ASSERT_TRUE(Remove(id).ok());

  auto config = Config("noimage", {"/bin/busybox", "true"});
  config.mutable_image()->set_image(absl::StrCat(registry_->host(), "/test/missing:v1"));
  std::string unused;
  EXPECT_EQ(Create(config, &unused).error_code(), grpc::StatusCode::NOT_FOUND);

  grpc::ClientContext ctx;
  ::runtime::v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(pod_id_);
  ::runtime::v1::StopPodSandboxResponse stopped;
  ASSERT_TRUE(rt_->StopPodSandbox(&ctx, stop, &stopped).ok());
  grpc::Status s = Create(Config("late", {"/bin/busybox", "true"}), &unused);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
}

// kubelet may stop and remove a pod whose containers still run: the pod's
// containers go with it, and nothing of them is left (TearDown checks mounts
// and runc state).
TEST_F(ContainerIntegrationTest, RemovePodSandboxTakesItsRunningContainersAlong) {
  std::string id;
  ASSERT_TRUE(Create(Config("orphan", {"/bin/busybox", "sleep", "1000"}), &id).ok());
  ASSERT_TRUE(Start(id).ok());
  {
    grpc::ClientContext ctx;
    ::runtime::v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(pod_id_);
    ::runtime::v1::StopPodSandboxResponse resp;
    ASSERT_TRUE(rt_->StopPodSandbox(&ctx, stop, &resp).ok());
  }
  EXPECT_EQ(Status(id).state(), ::runtime::v1::CONTAINER_EXITED);
  {
    grpc::ClientContext ctx;
    ::runtime::v1::RemovePodSandboxRequest rm;
    rm.set_pod_sandbox_id(pod_id_);
    ::runtime::v1::RemovePodSandboxResponse resp;
    ASSERT_TRUE(rt_->RemovePodSandbox(&ctx, rm, &resp).ok());
  }
  ::runtime::v1::ListContainersResponse list;
  grpc::ClientContext ctx;
  ASSERT_TRUE(rt_->ListContainers(&ctx, {}, &list).ok());
  EXPECT_EQ(list.containers_size(), 0);
}

// kubelet rotates a log by renaming it and calling ReopenContainerLog: the
// shim then writes to a fresh file at the same path. A stopped container
// gets FailedPrecondition and no new file.
TEST_F(ContainerIntegrationTest, ReopenContainerLogAfterRotation) {
  std::string id;
  ASSERT_TRUE(Create(Config("talker", {"/bin/sh", "-c", "while true; do echo tick; sleep 0.1; done"}), &id).ok());
  ASSERT_TRUE(Start(id).ok());
  const std::string log = logs_.path() + "/talker/0.log";
  auto wait_for_content = [&](const std::string& path) {
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
      auto text = ReadFile(path);
      if (text.ok() && absl::StrContains(*text, "stdout F tick")) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  };
  ASSERT_TRUE(wait_for_content(log));
  ASSERT_EQ(::rename(log.c_str(), (log + ".1").c_str()), 0);
  auto reopen = [&] {
    grpc::ClientContext ctx;
    ::runtime::v1::ReopenContainerLogRequest req;
    req.set_container_id(id);
    ::runtime::v1::ReopenContainerLogResponse resp;
    return rt_->ReopenContainerLog(&ctx, req, &resp);
  };
  grpc::Status s = reopen();
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(wait_for_content(log)) << "no lines in the reopened log";

  ASSERT_TRUE(Stop(id, 0).ok());
  ASSERT_EQ(::rename(log.c_str(), (log + ".2").c_str()), 0);
  s = reopen();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_FALSE(std::filesystem::exists(log));
}

TEST_F(ContainerIntegrationTest, RunningContainerSurvivesASilodRestart) {
  std::string id;
  ASSERT_TRUE(Create(Config("survivor", {"/bin/busybox", "sleep", "1000"}), &id).ok());
  ASSERT_TRUE(Start(id).ok());

  ASSERT_EQ(silod_->Stop(kSigTerm), 0);
  auto p = SilodProcess::Start({.dir = silod_dir_.path(),
                                .extra_yaml = absl::StrCat("registry: {insecure: [\"", registry_->host(), "\"]}\n")});
  ASSERT_TRUE(p.ok()) << p.status();
  silod_ = std::move(*p);
  rt_ = silod_->RuntimeStub();

  // The shim kept the container; the new silod finds it and its name.
  EXPECT_EQ(Status(id).state(), ::runtime::v1::CONTAINER_RUNNING);
  std::string dup;
  EXPECT_EQ(Create(Config("survivor", {"/bin/busybox", "true"}), &dup).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  grpc::ClientContext ctx;
  ::runtime::v1::ExecSyncRequest req;
  req.set_container_id(id);
  req.add_cmd("/bin/sh");
  req.add_cmd("-c");
  req.add_cmd("echo still here");
  ::runtime::v1::ExecSyncResponse resp;
  ASSERT_TRUE(rt_->ExecSync(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.stdout(), "still here\n");
  ASSERT_TRUE(Stop(id, 0).ok());
  EXPECT_EQ(Status(id).exit_code(), 128 + 9);
}

}  // namespace
}  // namespace silo::testing
