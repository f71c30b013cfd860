// CRI container configuration through the real silod, silo-shim and runc:
// OOMKilled, UpdateContainerResources, the image's StopSignal, user names
// from the image's /etc/passwd and /etc/group, pod sysctls and privileged
// containers. The test builds a busybox image (with passwd and group files)
// and pushes it to a local docker-registry; pods use the node's network, so
// no CNI is needed.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "image/registry/manifest.h"
#include "image/registry/testing/local_registry.h"
#include "image/registry/testing/oci_layout.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"
#include "tests/support/silod_process.h"

namespace silo::testing {
namespace {

using image::registry::Descriptor;
using image::registry::testing::LocalRegistry;
using image::registry::testing::OciLayout;
using Clock = std::chrono::steady_clock;

int Sh(const std::string& cmd) {
  int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

nlohmann::json DescriptorJson(const Descriptor& d) {
  return {{"mediaType", d.media_type}, {"digest", d.digest.String()}, {"size", d.size}};
}

// One layer: busybox-static as /bin/busybox and /bin/sh, /tmp, and an
// /etc/passwd and /etc/group with a user "app" (1000:1001) in group audio.
absl::StatusOr<Descriptor> BuildLayer(OciLayout& layout, const std::string& scratch) {
  std::string root = scratch + "/rootfs";
  SILO_RETURN_IF_ERROR(MakeDirs(root + "/bin"));
  SILO_RETURN_IF_ERROR(MakeDirs(root + "/tmp"));
  SILO_RETURN_IF_ERROR(MakeDirs(root + "/etc"));
  SILO_RETURN_IF_ERROR(AtomicWriteFile(root + "/etc/passwd",
                                       "root:x:0:0:root:/root:/bin/sh\n"
                                       "app:x:1000:1001:App:/tmp:/bin/sh\n"));
  SILO_RETURN_IF_ERROR(AtomicWriteFile(root + "/etc/group",
                                       "root:x:0:\n"
                                       "audio:x:29:app\n"
                                       "appgrp:x:1001:\n"));
  if (Sh(absl::StrCat("cp /bin/busybox ", root, "/bin/busybox && cp /bin/busybox ", root, "/bin/sh && tar -cf ",
                      scratch, "/layer.tar -C ", root, " .")) != 0) {
    return absl::InternalError("building the busybox layer failed");
  }
  SILO_ASSIGN_OR_RETURN(std::string tar, ReadFile(scratch + "/layer.tar"));
  return layout.AddBlob("application/vnd.oci.image.layer.v1.tar", tar);
}

// Tags `tag` in the layout: the layer with `config` as the image config's
// "config" object.
absl::Status AddImage(OciLayout& layout, const Descriptor& layer, const nlohmann::json& config,
                      const std::string& tag) {
  nlohmann::json doc = {{"architecture", "amd64"},
                        {"os", "linux"},
                        {"config", config},
                        {"rootfs", {{"type", "layers"}, {"diff_ids", {layer.digest.String()}}}}};
  SILO_ASSIGN_OR_RETURN(Descriptor cfg, layout.AddBlob(std::string(image::registry::kOciConfig), doc.dump()));
  nlohmann::json manifest = {{"schemaVersion", 2},
                             {"mediaType", std::string(image::registry::kOciManifest)},
                             {"config", DescriptorJson(cfg)},
                             {"layers", {DescriptorJson(layer)}}};
  SILO_ASSIGN_OR_RETURN(Descriptor m, layout.AddBlob(std::string(image::registry::kOciManifest), manifest.dump()));
  return layout.Tag(m, tag);
}

class ContainerConfigIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    if (::access("/bin/busybox", X_OK) != 0 || Sh("command -v runc >/dev/null") != 0) {
      GTEST_SKIP() << "needs busybox-static and runc";
    }
    auto reg = LocalRegistry::Start();
    ASSERT_TRUE(reg.ok()) << reg.status();
    registry_ = std::move(*reg);
    OciLayout layout(layout_dir_.path());
    auto layer = BuildLayer(layout, scratch_.path());
    ASSERT_TRUE(layer.ok()) << layer.status();
    nlohmann::json base = {{"Cmd", {"/bin/sh"}}, {"Env", {"PATH=/bin"}}, {"StopSignal", "SIGUSR1"}};
    ASSERT_TRUE(AddImage(layout, *layer, base, "v1").ok());
    nlohmann::json named = base;
    named["User"] = "app:audio";
    ASSERT_TRUE(AddImage(layout, *layer, named, "named").ok());
    ASSERT_TRUE(registry_->Push(layout_dir_.path(), "v1", "test/cfg").ok());
    ASSERT_TRUE(registry_->Push(layout_dir_.path(), "named", "test/cfg").ok());
    image_ = absl::StrCat(registry_->host(), "/test/cfg:v1");
    named_image_ = absl::StrCat(registry_->host(), "/test/cfg:named");

    auto p = SilodProcess::Start({.dir = silod_dir_.path(),
                                  .extra_yaml = absl::StrCat("registry: {insecure: [\"", registry_->host(), "\"]}\n")});
    ASSERT_TRUE(p.ok()) << p.status();
    silod_ = std::move(*p);
    rt_ = silod_->RuntimeStub();
    img_ = silod_->ImageStub();
    for (const std::string& image : {image_, named_image_}) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
      ::runtime::v1::PullImageRequest pull;
      pull.mutable_image()->set_image(image);
      ::runtime::v1::PullImageResponse pulled;
      grpc::Status s = img_->PullImage(&ctx, pull, &pulled);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
    pod_ = PodConfig("cfg-pod");
    ASSERT_TRUE(RunPod(pod_, &pod_id_).ok());
  }

  void TearDown() override {
    if (!rt_) return;
    ::runtime::v1::ListContainersResponse list;
    {
      grpc::ClientContext ctx;
      (void)rt_->ListContainers(&ctx, {}, &list);
    }
    for (const auto& c : list.containers()) EXPECT_TRUE(Remove(c.id()).ok()) << c.id();
    ::runtime::v1::ListPodSandboxResponse pods;
    {
      grpc::ClientContext ctx;
      (void)rt_->ListPodSandbox(&ctx, {}, &pods);
    }
    for (const auto& pod : pods.items()) {
      grpc::ClientContext sctx, rctx;
      ::runtime::v1::StopPodSandboxRequest stop;
      stop.set_pod_sandbox_id(pod.id());
      ::runtime::v1::StopPodSandboxResponse stopped;
      EXPECT_TRUE(rt_->StopPodSandbox(&sctx, stop, &stopped).ok());
      ::runtime::v1::RemovePodSandboxRequest rm;
      rm.set_pod_sandbox_id(pod.id());
      ::runtime::v1::RemovePodSandboxResponse removed;
      EXPECT_TRUE(rt_->RemovePodSandbox(&rctx, rm, &removed).ok());
    }
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(silod_->state() + "/runc", ec)) {
      ADD_FAILURE() << "runc state left behind: " << e.path();
    }
    EXPECT_EQ(silod_->Stop(kSigTerm), 0);
  }

  ::runtime::v1::PodSandboxConfig PodConfig(const std::string& name) {
    ::runtime::v1::PodSandboxConfig pod;
    pod.mutable_metadata()->set_name(name);
    pod.mutable_metadata()->set_namespace_("default");
    pod.mutable_metadata()->set_uid("uid-" + name);
    pod.set_log_directory(logs_.path() + "/" + name);
    pod.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(::runtime::v1::NODE);
    pod.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(::runtime::v1::CONTAINER);
    return pod;
  }

  grpc::Status RunPod(const ::runtime::v1::PodSandboxConfig& pod, std::string* id) {
    grpc::ClientContext ctx;
    ::runtime::v1::RunPodSandboxRequest run;
    *run.mutable_config() = pod;
    ::runtime::v1::RunPodSandboxResponse ran;
    grpc::Status s = rt_->RunPodSandbox(&ctx, run, &ran);
    *id = ran.pod_sandbox_id();
    return s;
  }

  ::runtime::v1::ContainerConfig Config(const std::string& name, std::vector<std::string> command) {
    ::runtime::v1::ContainerConfig c;
    c.mutable_metadata()->set_name(name);
    c.mutable_image()->set_image(image_);
    for (auto& a : command) c.add_command(a);
    c.set_log_path(name + ".log");
    return c;
  }

  grpc::Status Create(const ::runtime::v1::ContainerConfig& config, std::string* id) {
    return CreateIn(pod_id_, pod_, config, id);
  }

  grpc::Status CreateIn(const std::string& pod_id, const ::runtime::v1::PodSandboxConfig& pod,
                        const ::runtime::v1::ContainerConfig& config, std::string* id) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    ::runtime::v1::CreateContainerRequest req;
    req.set_pod_sandbox_id(pod_id);
    *req.mutable_config() = config;
    *req.mutable_sandbox_config() = pod;
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

  grpc::Status Update(const std::string& id, const ::runtime::v1::LinuxContainerResources& res) {
    grpc::ClientContext ctx;
    ::runtime::v1::UpdateContainerResourcesRequest req;
    req.set_container_id(id);
    *req.mutable_linux() = res;
    ::runtime::v1::UpdateContainerResourcesResponse resp;
    return rt_->UpdateContainerResources(&ctx, req, &resp);
  }

  ::runtime::v1::ContainerStatusResponse StatusResponse(const std::string& id) {
    grpc::ClientContext ctx;
    ::runtime::v1::ContainerStatusRequest req;
    req.set_container_id(id);
    req.set_verbose(true);
    ::runtime::v1::ContainerStatusResponse resp;
    grpc::Status s = rt_->ContainerStatus(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  ::runtime::v1::ContainerStatus Status(const std::string& id) { return StatusResponse(id).status(); }

  ::runtime::v1::ContainerStatus WaitExited(const std::string& id) {
    auto deadline = Clock::now() + std::chrono::seconds(30);
    ::runtime::v1::ContainerStatus st = Status(id);
    while (st.state() != ::runtime::v1::CONTAINER_EXITED && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      st = Status(id);
    }
    return st;
  }

  // The container's stdout lines, without the CRI log prefix.
  std::vector<std::string> Stdout(const ::runtime::v1::ContainerStatus& st) {
    std::vector<std::string> out;
    auto log = ReadFile(st.log_path());
    EXPECT_TRUE(log.ok()) << log.status();
    if (!log.ok()) return out;
    for (absl::string_view line : absl::StrSplit(*log, '\n', absl::SkipEmpty())) {
      std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(' ', 3));
      if (parts.size() == 4 && parts[1] == "stdout") out.emplace_back(parts[3]);
    }
    return out;
  }

  // Runs `command` to its exit and returns its stdout lines.
  std::vector<std::string> RunToExit(const ::runtime::v1::ContainerConfig& config, int* exit_code = nullptr) {
    std::string id;
    grpc::Status s = Create(config, &id);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (!s.ok()) return {};
    EXPECT_TRUE(Start(id).ok());
    ::runtime::v1::ContainerStatus st = WaitExited(id);
    EXPECT_EQ(st.state(), ::runtime::v1::CONTAINER_EXITED);
    if (exit_code != nullptr) *exit_code = st.exit_code();
    std::vector<std::string> out = Stdout(st);
    EXPECT_TRUE(Remove(id).ok());
    return out;
  }

  // The host directory of the container's cgroup in `controller` (v1), or
  // the v2 directory, from /proc/<pid>/cgroup of its init.
  std::string CgroupDir(const std::string& id, const std::string& controller) {
    auto resp = StatusResponse(id);
    nlohmann::json info = nlohmann::json::parse(resp.info().at("info"), nullptr, false);
    int64_t pid = info.value("pid", int64_t{0});
    EXPECT_GT(pid, 0);
    auto text = ReadFile(absl::StrCat("/proc/", pid, "/cgroup"));
    EXPECT_TRUE(text.ok()) << text.status();
    if (!text.ok()) return "";
    std::string v2;
    for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
      std::vector<std::string> f = absl::StrSplit(line, absl::MaxSplits(':', 2));
      if (f.size() != 3) continue;
      for (absl::string_view c : absl::StrSplit(f[1], ',')) {
        if (c == controller) return absl::StrCat("/sys/fs/cgroup/", f[1], f[2]);
      }
      if (f[0] == "0" && f[1].empty()) v2 = "/sys/fs/cgroup" + f[2];
    }
    return v2;
  }

  TempDir layout_dir_, scratch_, silod_dir_, logs_;
  std::unique_ptr<LocalRegistry> registry_;
  std::unique_ptr<SilodProcess> silod_;
  std::unique_ptr<::runtime::v1::RuntimeService::Stub> rt_;
  std::unique_ptr<::runtime::v1::ImageService::Stub> img_;
  std::string image_, named_image_, pod_id_;
  ::runtime::v1::PodSandboxConfig pod_;
};

std::string Trimmed(const std::string& s) { return std::string(absl::StripAsciiWhitespace(s)); }

// The shell holds 100 MB in one variable under a 32 MiB limit: the kernel
// kills it, and the exit is reported OOMKilled with 128 + SIGKILL, also
// after a restart of silod (the reason is stored with the exit).
TEST_F(ContainerConfigIntegrationTest, MemoryHogIsReportedOomKilled) {
  auto config = Config("hog", {"/bin/sh", "-c", "x=$(head -c 100000000 /dev/zero | tr '\\0' a); sleep 1"});
  config.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(32 << 20);
  std::string id;
  grpc::Status s = Create(config, &id);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(Start(id).ok());
  ::runtime::v1::ContainerStatus st = WaitExited(id);
  ASSERT_EQ(st.state(), ::runtime::v1::CONTAINER_EXITED);
  EXPECT_EQ(st.reason(), "OOMKilled");
  EXPECT_EQ(st.exit_code(), 137);

  ASSERT_EQ(silod_->Stop(kSigTerm), 0);
  auto p = SilodProcess::Start({.dir = silod_dir_.path(),
                                .extra_yaml = absl::StrCat("registry: {insecure: [\"", registry_->host(), "\"]}\n")});
  ASSERT_TRUE(p.ok()) << p.status();
  silod_ = std::move(*p);
  rt_ = silod_->RuntimeStub();
  EXPECT_EQ(Status(id).reason(), "OOMKilled");

  // A container that exits normally under a limit is not OOMKilled.
  auto ok = Config("small", {"/bin/sh", "-c", "echo fine; exit 4"});
  ok.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(32 << 20);
  std::string small;
  ASSERT_TRUE(Create(ok, &small).ok());
  ASSERT_TRUE(Start(small).ok());
  st = WaitExited(small);
  EXPECT_EQ(st.exit_code(), 4);
  EXPECT_EQ(st.reason(), "Error");
}

TEST_F(ContainerConfigIntegrationTest, UpdateContainerResourcesAppliesLive) {
  auto config = Config("updated", {"/bin/busybox", "sleep", "1000"});
  config.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(128 << 20);
  std::string id;
  ASSERT_TRUE(Create(config, &id).ok());
  ASSERT_TRUE(Start(id).ok());
  const std::string memory = CgroupDir(id, "memory");
  const std::string cpu = CgroupDir(id, "cpu");
  ASSERT_FALSE(memory.empty());
  const bool v2 = !absl::StrContains(memory, "/memory/");
  auto read = [](const std::string& path) {
    auto text = ReadFile(path);
    EXPECT_TRUE(text.ok()) << text.status();
    return text.ok() ? Trimmed(*text) : std::string();
  };
  EXPECT_EQ(read(memory + (v2 ? "/memory.max" : "/memory.limit_in_bytes")), absl::StrCat(128 << 20));

  ::runtime::v1::LinuxContainerResources res;
  res.set_memory_limit_in_bytes(64 << 20);
  res.set_cpu_period(100000);
  res.set_cpu_quota(50000);
  grpc::Status s = Update(id, res);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(read(memory + (v2 ? "/memory.max" : "/memory.limit_in_bytes")), absl::StrCat(64 << 20));
  if (v2) {
    EXPECT_EQ(read(cpu + "/cpu.max"), "50000 100000");
  } else {
    EXPECT_EQ(read(cpu + "/cpu.cfs_quota_us"), "50000");
    EXPECT_EQ(read(cpu + "/cpu.cfs_period_us"), "100000");
  }
  ::runtime::v1::ContainerStatus st = Status(id);
  EXPECT_EQ(st.resources().linux().memory_limit_in_bytes(), 64 << 20);
  EXPECT_EQ(st.resources().linux().cpu_quota(), 50000);
  EXPECT_EQ(st.resources().linux().cpu_period(), 100000);

  // A bad value changes nothing.
  ::runtime::v1::LinuxContainerResources bad;
  bad.set_cpu_period(5);
  bad.set_memory_limit_in_bytes(96 << 20);
  EXPECT_EQ(Update(id, bad).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(read(memory + (v2 ? "/memory.max" : "/memory.limit_in_bytes")), absl::StrCat(64 << 20));
  EXPECT_EQ(Status(id).resources().linux().memory_limit_in_bytes(), 64 << 20);
  // One the kernel refuses (no CPU 999) fails the whole update.
  ::runtime::v1::LinuxContainerResources refused;
  refused.set_cpuset_cpus("999");
  refused.set_memory_limit_in_bytes(96 << 20);
  s = Update(id, refused);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.error_message(), id)) << s.error_message();
  EXPECT_EQ(read(memory + (v2 ? "/memory.max" : "/memory.limit_in_bytes")), absl::StrCat(64 << 20));
  EXPECT_EQ(Status(id).resources().linux().memory_limit_in_bytes(), 64 << 20);
  EXPECT_EQ(Status(id).resources().linux().cpuset_cpus(), "");

  ASSERT_TRUE(Stop(id, 0).ok());
  EXPECT_EQ(Update(id, res).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  ::runtime::v1::LinuxContainerResources none;
  EXPECT_EQ(Update("no-such-container", none).error_code(), grpc::StatusCode::NOT_FOUND);
}

// The image's StopSignal is SIGUSR1, which the shell traps to exit 7; with
// SIGTERM (ignored by a pid 1 without a handler) it would take the whole
// timeout and end with SIGKILL.
TEST_F(ContainerConfigIntegrationTest, StopUsesTheImagesStopSignal) {
  std::string id;
  ASSERT_TRUE(Create(Config("trapper", {"/bin/sh", "-c",
                                        "trap 'exit 7' USR1; echo ready; while true; do sleep 0.1; done"}),
                     &id)
                  .ok());
  ASSERT_TRUE(Start(id).ok());
  const std::string log = logs_.path() + "/cfg-pod/trapper.log";
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {  // the trap is set once "ready" is out
    auto text = ReadFile(log);
    if (text.ok() && absl::StrContains(*text, "ready")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto start = Clock::now();
  ASSERT_TRUE(Stop(id, 20).ok());
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  ::runtime::v1::ContainerStatus st = Status(id);
  EXPECT_EQ(st.state(), ::runtime::v1::CONTAINER_EXITED);
  EXPECT_EQ(st.exit_code(), 7);
}

TEST_F(ContainerConfigIntegrationTest, UserNamesResolveInTheImagesPasswdAndGroup) {
  // Image User "app:audio".
  auto config = Config("named", {"/bin/busybox", "id"});
  config.mutable_image()->set_image(named_image_);
  auto out = RunToExit(config);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(out[0], "uid=1000(app) gid=29(audio)")) << out[0];

  // CRI run_as_username over an image without User: primary group from
  // passwd, supplementary from /etc/group.
  config = Config("byname", {"/bin/busybox", "id", "-G"});
  config.mutable_linux()->mutable_security_context()->set_run_as_username("app");
  out = RunToExit(config);
  ASSERT_EQ(out.size(), 1u);
  std::vector<std::string> gids = absl::StrSplit(out[0], ' ', absl::SkipEmpty());
  std::set<std::string> unique(gids.begin(), gids.end());
  EXPECT_EQ(unique, (std::set<std::string>{"1001", "29"})) << out[0];

  config = Config("ghost", {"/bin/busybox", "id"});
  config.mutable_linux()->mutable_security_context()->set_run_as_username("ghost");
  std::string id;
  grpc::Status s = Create(config, &id);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "ghost")) << s.error_message();
}

TEST_F(ContainerConfigIntegrationTest, PodSysctlsAndPrivilegedContainers) {
  // IPC sysctls apply in the pod's own IPC namespace.
  auto pod = PodConfig("sysctl-pod");
  (*pod.mutable_linux()->mutable_sysctls())["kernel.shmmni"] = "1234";
  pod.mutable_linux()->mutable_security_context()->set_privileged(true);
  std::string pod_id;
  grpc::Status s = RunPod(pod, &pod_id);
  ASSERT_TRUE(s.ok()) << s.error_message();
  auto config = Config("sysctl", {"/bin/sh", "-c", "cat /proc/sys/kernel/shmmni; grep CapEff /proc/self/status; "
                                                   "test -c /dev/kmsg && echo kmsg"});
  config.mutable_linux()->mutable_security_context()->set_privileged(true);
  std::string id;
  s = CreateIn(pod_id, pod, config, &id);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(Start(id).ok());
  ::runtime::v1::ContainerStatus st = WaitExited(id);
  std::vector<std::string> out = Stdout(st);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], "1234");
  std::vector<std::string> cap = absl::StrSplit(out[1], '\t', absl::SkipWhitespace());
  ASSERT_EQ(cap.size(), 2u) << out[1];
  uint64_t caps = 0;
  ASSERT_TRUE(absl::SimpleHexAtoi(cap[1], &caps)) << out[1];
  EXPECT_NE(caps & (1ull << 21), 0u) << "no CAP_SYS_ADMIN: " << out[1];
  EXPECT_EQ(out[2], "kmsg");

  // Not privileged: the default capability set, no host devices; with
  // RuntimeDefault, the default seccomp filter.
  config = Config("plain", {"/bin/sh", "-c",
                            "grep CapEff /proc/self/status; test -c /dev/kmsg || echo nokmsg; "
                            "grep Seccomp: /proc/self/status"});
  config.mutable_linux()->mutable_security_context()->mutable_seccomp()->set_profile_type(
      ::runtime::v1::SecurityProfile::RuntimeDefault);
  out = RunToExit(config);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2], "Seccomp:\t2");
  cap = absl::StrSplit(out[0], '\t', absl::SkipWhitespace());
  ASSERT_EQ(cap.size(), 2u);
  ASSERT_TRUE(absl::SimpleHexAtoi(cap[1], &caps));
  EXPECT_EQ(caps & (1ull << 21), 0u);
  EXPECT_EQ(out[1], "nokmsg");

  // Refused: privileged in a pod that is not; net.* in a host-network pod;
  // a node-wide sysctl.
  config = Config("escalate", {"/bin/busybox", "true"});
  config.mutable_linux()->mutable_security_context()->set_privileged(true);
  EXPECT_EQ(Create(config, &id).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  for (const char* key : {"net.core.somaxconn", "vm.swappiness"}) {
    auto bad_pod = PodConfig(absl::StrCat("bad-", key[0] == 'n' ? "net" : "vm"));
    (*bad_pod.mutable_linux()->mutable_sysctls())[key] = "1";
    std::string bad_id;
    s = RunPod(bad_pod, &bad_id);
    if (!s.ok()) {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << key << ": " << s.error_message();
      continue;
    }
    std::string cid;
    s = CreateIn(bad_id, bad_pod, Config("c", {"/bin/busybox", "true"}), &cid);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << key << ": " << s.error_message();
    EXPECT_TRUE(absl::StrContains(s.error_message(), key)) << s.error_message();
  }
}

}  // namespace
}  // namespace silo::testing
