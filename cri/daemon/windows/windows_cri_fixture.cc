#include "cri/daemon/windows/windows_cri_fixture.h"

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cri/daemon/windows/fake_host/fake_node.h"
#include "grpcpp/grpcpp.h"
#include "image/registry/testing/windows_layers.h"
#include "runtime/windows/handler/windows_handlers.h"

namespace silo::cri::wintest {

namespace fs = std::filesystem;
namespace v1 = ::runtime::v1;
namespace reg = image::registry::testing;
namespace rw = runtime::windows;

namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/silo-wincri-XXXXXX";
  EXPECT_NE(mkdtemp(tmpl), nullptr);
  return tmpl;
}

// A CNI plugin as the Windows ones are installed and invoked: win-test.exe
// (the config names it "win-test"; only the Windows lookup, which tries
// type.exe, finds it). It records each call's file name, command, netns
// (the HCN namespace GUID) and container id, and answers ADD with an
// address. It makes no HNS endpoint: it runs outside this process, so it
// cannot reach the fake HCN.
constexpr char kCniPlugin[] = R"(#!/bin/sh
echo "${0##*/} $CNI_COMMAND $CNI_NETNS $CNI_CONTAINERID" >> "$(dirname "$0")/calls.log"
cat > /dev/null
case "$CNI_COMMAND" in
ADD) printf '{"cniVersion":"1.0.0","interfaces":[{"name":"eth0"}],"ips":[{"address":"10.88.0.5/16","interface":0}]}' ;;
VERSION) printf '{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}' ;;
esac
)";

// One unary CRI call on a fresh context.
template <class Stub, class Req, class Resp>
grpc::Status Unary(Stub& stub, grpc::Status (Stub::*call)(grpc::ClientContext*, const Req&, Resp*), const Req& req,
                   Resp* resp) {
  grpc::ClientContext ctx;
  return (stub.*call)(&ctx, req, resp);
}

}  // namespace

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 2000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

reg::ServedImages* WindowsCriFixture::served_ = nullptr;

void WindowsCriFixture::ServeImages(const SuiteImages& images) {
  auto served = reg::ServedImages::Start();
  ASSERT_TRUE(served.ok()) << served.status();
  served_ = served->release();
  const std::vector<reg::TestFile> base =
      images.utility_vm ? reg::WindowsBaseLayerWithUtilityVm("20348") : reg::WindowsBaseLayer("20348");
  reg::TestImage pause;
  pause.platform = reg::WindowsPlatform(fake_host::kFakeNodeBuild);
  pause.layers = {base, {{"Files/", ""}, {"Files/pause.exe", "MZ pause"}}};
  pause.cmd = {"C:\\pause.exe"};
  reg::TestImage app = pause;
  app.layers = {base,
                {{"Files/", ""}, {"Files/app/", ""}, {"Files/app/app.exe", "MZ app"}, {"Hives/", ""},
                 {"Hives/Software_Delta", "delta"}}};
  app.cmd = {"C:\\app\\app.exe", "--serve"};
  reg::TestImage tool = pause;
  tool.layers = {base, {{"Files/", ""}, {"Files/tool/", ""}, {"Files/tool/tool.exe", "MZ tool"}}};
  tool.cmd = {"C:\\tool\\tool.exe"};
  for (const auto& [image, tag] : {std::pair{pause, "pause"}, std::pair{app, "app"}, std::pair{tool, "tool"}}) {
    ASSERT_TRUE(served_->Serve(image, "win", tag).ok()) << tag;
  }
}

void WindowsCriFixture::TearDownTestSuite() {
  delete served_;
  served_ = nullptr;
}

std::string WindowsCriFixture::Ref(const std::string& tag) { return served_->Ref("win", tag); }

void WindowsCriFixture::SetUp() {
  dir_ = TempDir();
  for (const char* d : {"/cni-bin", "/cni-conf", "/logs", "/root", "/s"}) fs::create_directories(dir_ + d);
  {
    std::ofstream plugin(dir_ + "/cni-bin/win-test.exe");
    plugin << kCniPlugin;
  }
  fs::permissions(dir_ + "/cni-bin/win-test.exe", fs::perms::owner_all);
  std::ofstream(dir_ + "/cni-conf/10-win.conflist")
      << R"({"cniVersion":"1.0.0","name":"win","plugins":[{"type":"win-test"}]})";
  readiness_.InstallContainersFeature();
  paths_.AddVolume(L"C:", L"{4c1b1ff0-8a3f-4c1a-9d9a-1234567890ab}");
  paths_.AddPath(L"C:\\data");
  shims_ = std::make_shared<rw::shim::InProcessShimPort>(hcs_, &processes_);
}

void WindowsCriFixture::TearDown() {
  StopDaemonInProcess();
  shims_.reset();
  hcs_.Drain();
  fs::remove_all(dir_);
  EXPECT_EQ(hcs_.bad_closes(), 0);
  EXPECT_EQ(jobs_.bad_closes(), 0);
  EXPECT_EQ(paths_.bad_closes(), 0);
  EXPECT_EQ(processes_.bad_closes(), 0);
  EXPECT_EQ(hcs_.unmatched_vm_access_revokes(), 0);
}

Config WindowsCriFixture::MakeConfig(std::vector<RuntimeHandlerConfig> extra_handlers) const {
  Config config;
  config.root = dir_ + "/root";
  config.state = dir_ + "/s";
  config.listen = absl::StrCat("unix://", dir_, "/silod.sock");
  config.metrics.enabled = false;
  config.stats.interval = "50ms";
  config.cni.bin_dirs = {dir_ + "/cni-bin"};
  config.cni.conf_dir = dir_ + "/cni-conf";
  config.registry.insecure = {served_->host()};
  config.sandbox.image = Ref("pause");
  config.runtime.handlers = {{rw::kDefaultProcessHandlerName, rw::kProcessHandlerType}};
  for (RuntimeHandlerConfig& h : extra_handlers) config.runtime.handlers.push_back(std::move(h));
  config.runtime.default_handler = rw::kDefaultProcessHandlerName;
  return config;
}

RuntimeHandlerConfig WindowsCriFixture::HostProcessHandler() {
  return {"hostprocess", rw::kHostProcessHandlerType};
}

WindowsHostApis WindowsCriFixture::LocalApis() {
  WindowsHostApis apis;
  apis.hcs = &hcs_.api();
  apis.hcn = &hcn_.api();
  apis.jobs = &jobs_.api();
  apis.layers = layers_.api();
  apis.host_paths = &paths_.api();
  apis.processes = &processes_.api();
  apis.readiness = &readiness_.api();
  apis.shims = shims_;
  apis.read_job = JobReader();
  fake_host::DescribeFakeNode(apis);
  return apis;
}

std::function<absl::StatusOr<runtime::stats::GroupCounters>(const std::string&)> WindowsCriFixture::JobReader() {
  return [this](const std::string& job) -> absl::StatusOr<runtime::stats::GroupCounters> {
    std::lock_guard<std::mutex> lock(jobs_mu_);
    auto it = job_counters_.find(job);
    if (it == job_counters_.end()) return absl::NotFoundError(absl::StrCat("job ", job));
    return it->second;
  };
}

void WindowsCriFixture::SetJobCounters(const std::string& job, uint64_t cpu_ns, uint64_t working_set) {
  runtime::stats::GroupCounters c;
  c.cpu_usage_ns = cpu_ns;
  c.memory = runtime::stats::MemoryCounters{};
  c.memory->working_set_bytes = working_set;
  c.memory->usage_bytes = working_set;
  c.process_count = 1;
  std::lock_guard<std::mutex> lock(jobs_mu_);
  job_counters_[job] = c;
}

void WindowsCriFixture::ConnectCri() {
  auto channel = grpc::CreateChannel(absl::StrCat("unix:", dir_, "/silod.sock"), grpc::InsecureChannelCredentials());
  runtime_ = v1::RuntimeService::NewStub(channel);
  images_ = v1::ImageService::NewStub(channel);
}

void WindowsCriFixture::StartDaemonInProcess(const Config& config) {
  auto daemon = Daemon::Start(config, [this](const Config& c) { return WireWindowsParts(c, LocalApis()); });
  ASSERT_TRUE(daemon.ok()) << daemon.status();
  daemon_ = std::move(*daemon);
  ConnectCri();
}

void WindowsCriFixture::StopDaemonInProcess() {
  if (daemon_ == nullptr) return;
  runtime_.reset();
  images_.reset();
  daemon_.reset();
  // The root lock is held until the process exits; a new silod in this
  // process takes a new one.
  fs::remove(dir_ + "/root/silod.lock");
}

std::vector<uint32_t> WindowsCriFixture::RunningPids(const std::string& id) {
  std::vector<uint32_t> pids;
  for (uint32_t pid = 100; pid < 2000; pid += 4) {
    if (hcs_.ProcessRunning(id, pid)) pids.push_back(pid);
  }
  return pids;
}

grpc::Status WindowsCriFixture::PullImage(const std::string& ref, std::string* id) {
  v1::PullImageRequest req;
  req.mutable_image()->set_image(ref);
  v1::PullImageResponse resp;
  grpc::Status s = Unary(*images_, &v1::ImageService::Stub::PullImage, req, &resp);
  *id = resp.image_ref();
  return s;
}

v1::PodSandboxConfig WindowsCriFixture::PodConfig(const std::string& name, bool host_process) {
  v1::PodSandboxConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_metadata()->set_namespace_("default");
  c.mutable_metadata()->set_uid(name + "-uid");
  c.set_hostname(name);
  c.set_log_directory(absl::StrCat(dir_, "/logs/", name));
  if (host_process) {
    c.mutable_windows()->mutable_security_context()->set_host_process(true);
    c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(v1::NODE);
  }
  return c;
}

grpc::Status WindowsCriFixture::RunPod(const v1::PodSandboxConfig& config, std::string* id,
                                       const std::string& handler) {
  v1::RunPodSandboxRequest req;
  *req.mutable_config() = config;
  req.set_runtime_handler(handler);
  v1::RunPodSandboxResponse resp;
  grpc::Status s = Unary(*runtime_, &v1::RuntimeService::Stub::RunPodSandbox, req, &resp);
  *id = resp.pod_sandbox_id();
  return s;
}

v1::ContainerConfig WindowsCriFixture::ContainerOf(const std::string& name, const std::string& tag) {
  v1::ContainerConfig config;
  config.mutable_metadata()->set_name(name);
  config.mutable_image()->set_image(Ref(tag));
  config.set_log_path(name + "/0.log");
  return config;
}

grpc::Status WindowsCriFixture::CreateAndStart(const std::string& pod, const v1::PodSandboxConfig& pod_config,
                                               const v1::ContainerConfig& config, std::string* id) {
  // kubelet makes the container's log folder before it creates the container.
  fs::create_directories(fs::path(pod_config.log_directory()) / fs::path(config.log_path()).parent_path());
  v1::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod);
  *req.mutable_config() = config;
  *req.mutable_sandbox_config() = pod_config;
  v1::CreateContainerResponse resp;
  grpc::Status s = Unary(*runtime_, &v1::RuntimeService::Stub::CreateContainer, req, &resp);
  if (!s.ok()) return s;
  *id = resp.container_id();
  v1::StartContainerRequest start;
  start.set_container_id(*id);
  v1::StartContainerResponse started;
  return Unary(*runtime_, &v1::RuntimeService::Stub::StartContainer, start, &started);
}

v1::ContainerStatus WindowsCriFixture::Status(const std::string& id) {
  v1::ContainerStatusRequest req;
  req.set_container_id(id);
  v1::ContainerStatusResponse resp;
  grpc::Status s = Unary(*runtime_, &v1::RuntimeService::Stub::ContainerStatus, req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.status();
}

v1::PodSandboxStatus WindowsCriFixture::PodStatus(const std::string& id) {
  v1::PodSandboxStatusRequest req;
  req.set_pod_sandbox_id(id);
  v1::PodSandboxStatusResponse resp;
  grpc::Status s = Unary(*runtime_, &v1::RuntimeService::Stub::PodSandboxStatus, req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.status();
}

v1::ExecSyncResponse WindowsCriFixture::ExecSync(const std::string& ctr, const std::string& cmd) {
  v1::ExecSyncRequest req;
  req.set_container_id(ctr);
  req.add_cmd(cmd);
  req.set_timeout(20);
  v1::ExecSyncResponse resp;
  grpc::Status s = Unary(*runtime_, &v1::RuntimeService::Stub::ExecSync, req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp;
}

void WindowsCriFixture::ExpectExecSyncAnswers(const std::string& ctr, uint32_t main_pid, const std::string& output) {
  std::jthread exec_process([&] {
    uint32_t pid = 0;
    Eventually([&] {
      for (uint32_t p : RunningPids(ctr)) {
        if (p != main_pid) pid = p;
      }
      return pid != 0;
    });
    if (pid == 0) return;
    hcs_.WriteProcessOutput(ctr, pid, false, output);
    hcs_.ExitProcess(ctr, pid, 0);
  });
  const v1::ExecSyncResponse resp = ExecSync(ctr, "hostname");
  exec_process.join();
  EXPECT_EQ(resp.stdout(), output);
  EXPECT_EQ(resp.exit_code(), 0);
}

std::pair<uint16_t, std::string> WindowsCriFixture::StreamingPortAndPath(const std::string& url) {
  const std::string rest = url.substr(url.find("://") + 3);
  const size_t slash = rest.find('/');
  const std::string host_port = rest.substr(0, slash);
  return {static_cast<uint16_t>(std::stoi(host_port.substr(host_port.rfind(':') + 1))), rest.substr(slash)};
}

std::pair<uint16_t, std::string> WindowsCriFixture::ExecUrl(const std::string& ctr,
                                                            const std::vector<std::string>& cmd, bool tty) {
  v1::ExecRequest req;
  req.set_container_id(ctr);
  for (const std::string& a : cmd) req.add_cmd(a);
  req.set_stdin(true);
  req.set_stdout(true);
  req.set_stderr(!tty);
  req.set_tty(tty);
  v1::ExecResponse resp;
  grpc::Status s = Unary(*runtime_, &v1::RuntimeService::Stub::Exec, req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return StreamingPortAndPath(resp.url());
}

grpc::Status WindowsCriFixture::StopPod(const std::string& id) {
  v1::StopPodSandboxRequest req;
  req.set_pod_sandbox_id(id);
  v1::StopPodSandboxResponse resp;
  return Unary(*runtime_, &v1::RuntimeService::Stub::StopPodSandbox, req, &resp);
}

grpc::Status WindowsCriFixture::RemovePod(const std::string& id) {
  v1::RemovePodSandboxRequest req;
  req.set_pod_sandbox_id(id);
  v1::RemovePodSandboxResponse resp;
  return Unary(*runtime_, &v1::RuntimeService::Stub::RemovePodSandbox, req, &resp);
}

void WindowsCriFixture::StopAndRemovePod(const std::string& id) {
  grpc::Status s = StopPod(id);
  ASSERT_TRUE(s.ok()) << s.error_message();
  s = RemovePod(id);
  ASSERT_TRUE(s.ok()) << s.error_message();
}

std::vector<std::string> WindowsCriFixture::CniCalls() {
  return absl::StrSplit(ReadFile(dir_ + "/cni-bin/calls.log"), '\n', absl::SkipEmpty());
}

void WindowsCriFixture::ExpectNothingLeft(const std::vector<std::string>& systems) {
  for (const std::string& id : systems) EXPECT_EQ(hcs_.SystemState(id), "") << "compute system " << id;
  EXPECT_EQ(hcs_.open_system_handles(0), 0) << "silod kept a compute system handle";
  EXPECT_TRUE(hcn_.NamespaceIds().empty());
  EXPECT_EQ(hcn_.open_handles(), 0);
  EXPECT_EQ(jobs_.jobs(), 0);
  EXPECT_EQ(jobs_.open_handles(), 0);
  EXPECT_TRUE(layers_.Activated().empty());
  EXPECT_TRUE(layers_.Prepared().empty());
  const fs::path scratch = fs::path(dir_) / "root/wcifs/scratch";
  EXPECT_TRUE(!fs::exists(scratch) || fs::is_empty(scratch)) << "a scratch layer was left in " << scratch;
  EXPECT_EQ(paths_.open_handles(), 0);
  EXPECT_EQ(processes_.open_handles(), 0);
  EXPECT_EQ(processes_.LiveProcesses(), 0);
  EXPECT_TRUE(processes_.Links().empty());
  EXPECT_TRUE(processes_.Users().empty()) << "a temporary user was left";
  EXPECT_EQ(processes_.environment_blocks(), 0);
  EXPECT_EQ(shims_->live_shims(), 0);
}

}  // namespace silo::cri::wintest
