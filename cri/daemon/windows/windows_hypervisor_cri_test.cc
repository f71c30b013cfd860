// Hyper-V isolated pods through silod's CRI service on Linux: the daemon
// wired by WireWindowsParts over the fake Windows API tables, with a
// `hypervisor` handler (runhcs-wcow-hypervisor) beside the process-isolated
// default. The utility VM boots from the sandbox image's base layer
// (UtilityVM, pulled from a real registry and imported by the WCIFS
// importer), hosted containers get their layers from the WCIFS layer store,
// each held by its silo-shim (InProcessShimPort). Driven only through CRI.
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cri/api/cri_grpc.h"
#include "cri/daemon/daemon.h"
#include "cri/daemon/windows/wire_windows_parts.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "image/layers/wcifs/fake_layer_api.h"
#include "image/registry/testing/served_images.h"
#include "image/registry/testing/windows_layers.h"
#include "network/hns/fake/fake_hcn.h"
#include "nlohmann/json.hpp"
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/handler/windows_handlers.h"
#include "runtime/windows/host_path/fake/fake_host_path_api.h"
#include "runtime/windows/hostprocess/fake/fake_process_api.h"
#include "runtime/windows/hypervisor/hypervisor_sandbox_host.h"
#include "runtime/windows/jobobject/fake/fake_job_api.h"
#include "runtime/windows/readiness/fake/fake_readiness_api.h"
#include "runtime/windows/shim/in_process_shim_port.h"

namespace silo::cri {
namespace {

namespace fs = std::filesystem;
namespace v1 = ::runtime::v1;
namespace reg = image::registry::testing;
namespace rw = runtime::windows;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr char kHostBuild[] = "10.0.20348.2227";
constexpr char kHyperV[] = "runhcs-wcow-hypervisor";

std::string TempDir() {
  char tmpl[] = "/tmp/silo-hvcri-XXXXXX";
  EXPECT_NE(mkdtemp(tmpl), nullptr);
  return tmpl;
}

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

// A CNI plugin that answers ADD with an address (it runs outside this
// process, so it makes no HNS endpoint in the fake HCN).
constexpr char kCniPlugin[] = R"(#!/bin/sh
cat > /dev/null
case "$CNI_COMMAND" in
ADD) printf '{"cniVersion":"1.0.0","interfaces":[{"name":"eth0"}],"ips":[{"address":"10.88.0.5/16","interface":0}]}' ;;
VERSION) printf '{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}' ;;
esac
)";

class WindowsHypervisorCriTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto served = reg::ServedImages::Start();
    ASSERT_TRUE(served.ok()) << served.status();
    served_ = served->release();
    // The sandbox image's base carries the utility VM; the apps share it.
    const std::vector<reg::TestFile> base = reg::WindowsBaseLayerWithUtilityVm("20348");
    reg::TestImage pause;
    pause.platform = reg::WindowsPlatform(kHostBuild);
    pause.layers = {base, {{"Files/", ""}, {"Files/pause.exe", "MZ pause"}}};
    pause.cmd = {"C:\\pause.exe"};
    reg::TestImage app = pause;
    app.layers = {base, {{"Files/", ""}, {"Files/app/", ""}, {"Files/app/app.exe", "MZ app"}}};
    app.cmd = {"C:\\app\\app.exe"};
    reg::TestImage tool = pause;
    tool.layers = {base, {{"Files/", ""}, {"Files/tool/", ""}, {"Files/tool/tool.exe", "MZ tool"}}};
    tool.cmd = {"C:\\tool\\tool.exe"};
    for (const auto& [image, tag] : {std::pair{pause, "pause"}, std::pair{app, "app"}, std::pair{tool, "tool"}}) {
      ASSERT_TRUE(served_->Serve(image, "hv", tag).ok()) << tag;
    }
  }
  static void TearDownTestSuite() { delete served_; }
  static std::string Ref(const std::string& tag) { return served_->Ref("hv", tag); }

  void SetUp() override {
    dir_ = TempDir();
    for (const char* d : {"/cni-bin", "/cni-conf", "/logs", "/root", "/s"}) fs::create_directories(dir_ + d);
    std::ofstream(dir_ + "/cni-bin/win-test") << kCniPlugin;
    fs::permissions(dir_ + "/cni-bin/win-test", fs::perms::owner_all);
    std::ofstream(dir_ + "/cni-conf/10-win.conflist")
        << R"({"cniVersion":"1.0.0","name":"win","plugins":[{"type":"win-test"}]})";
    readiness_.InstallContainersFeature();
    shims_ = std::make_shared<rw::shim::InProcessShimPort>(hcs_);
    StartDaemon();
  }

  // A new silod over the same host (the fakes, the shims and the folders).
  void StartDaemon() {
    runtime_.reset();
    images_.reset();
    daemon_.reset();
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
    RuntimeHandlerConfig hyperv;
    hyperv.name = kHyperV;
    hyperv.type = rw::hypervisor::kHypervisorHandlerType;
    hyperv.uvm_memory_mb = 2048;
    RuntimeHandlerConfig process;
    process.name = rw::kDefaultProcessHandlerName;
    process.type = rw::kProcessHandlerType;
    config.runtime.handlers = {process, hyperv};
    config.runtime.default_handler = rw::kDefaultProcessHandlerName;
    auto daemon = Daemon::Start(config, [this](const Config& c) { return WireWindowsParts(c, Apis()); });
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    daemon_ = std::move(*daemon);
    auto channel = grpc::CreateChannel(absl::StrCat("unix:", dir_, "/silod.sock"), grpc::InsecureChannelCredentials());
    runtime_ = v1::RuntimeService::NewStub(channel);
    images_ = v1::ImageService::NewStub(channel);
  }

  void TearDown() override {
    runtime_.reset();
    daemon_.reset();
    shims_.reset();
    hcs_.Drain();
    fs::remove_all(dir_);
    EXPECT_EQ(hcs_.bad_closes(), 0);
    EXPECT_EQ(hcs_.unmatched_vm_access_revokes(), 0);
  }

  WindowsHostApis Apis() {
    WindowsHostApis apis;
    apis.hcs = &hcs_.api();
    apis.hcn = &hcn_.api();
    apis.jobs = &jobs_.api();
    apis.layers = layers_.api();
    apis.host_paths = &paths_.api();
    apis.processes = &processes_.api();
    apis.readiness = &readiness_.api();
    apis.shims = shims_;
    apis.read_job = [](const std::string& job) -> absl::StatusOr<runtime::stats::GroupCounters> {
      return absl::NotFoundError(absl::StrCat("job ", job));
    };
    apis.host_name = "winnode";
    apis.host_cpus = 4;
    apis.image_platform = reg::WindowsPlatform(kHostBuild);
    // This machine's folders stand in for the node's C: drive.
    apis.hcs_path = [](const std::string& local) {
      std::string path = "C:" + local;
      std::replace(path.begin(), path.end(), '/', '\\');
      return path;
    };
    return apis;
  }

  v1::PodSandboxConfig PodConfig(const std::string& name) {
    v1::PodSandboxConfig c;
    c.mutable_metadata()->set_name(name);
    c.mutable_metadata()->set_namespace_("default");
    c.mutable_metadata()->set_uid(name + "-uid");
    c.set_hostname(name);
    c.set_log_directory(absl::StrCat(dir_, "/logs/", name));
    return c;
  }

  grpc::Status Pull(const std::string& tag) {
    grpc::ClientContext ctx;
    v1::PullImageRequest req;
    req.mutable_image()->set_image(Ref(tag));
    v1::PullImageResponse resp;
    return images_->PullImage(&ctx, req, &resp);
  }

  grpc::Status RunPod(const v1::PodSandboxConfig& config, const std::string& handler, std::string* id) {
    grpc::ClientContext ctx;
    v1::RunPodSandboxRequest req;
    *req.mutable_config() = config;
    req.set_runtime_handler(handler);
    v1::RunPodSandboxResponse resp;
    grpc::Status s = runtime_->RunPodSandbox(&ctx, req, &resp);
    *id = resp.pod_sandbox_id();
    return s;
  }

  grpc::Status CreateAndStart(const std::string& pod, const v1::PodSandboxConfig& pod_config,
                              const std::string& name, const std::string& image, std::string* id) {
    v1::ContainerConfig config;
    config.mutable_metadata()->set_name(name);
    config.mutable_image()->set_image(Ref(image));
    config.set_log_path(name + "/0.log");
    fs::create_directories(fs::path(pod_config.log_directory()) / name);
    grpc::ClientContext ctx;
    v1::CreateContainerRequest req;
    req.set_pod_sandbox_id(pod);
    *req.mutable_config() = config;
    *req.mutable_sandbox_config() = pod_config;
    v1::CreateContainerResponse resp;
    grpc::Status s = runtime_->CreateContainer(&ctx, req, &resp);
    if (!s.ok()) return s;
    *id = resp.container_id();
    grpc::ClientContext start_ctx;
    v1::StartContainerRequest start;
    start.set_container_id(*id);
    v1::StartContainerResponse started;
    return runtime_->StartContainer(&start_ctx, start, &started);
  }

  v1::ContainerState State(const std::string& id) {
    grpc::ClientContext ctx;
    v1::ContainerStatusRequest req;
    req.set_container_id(id);
    v1::ContainerStatusResponse resp;
    grpc::Status s = runtime_->ContainerStatus(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.status().state();
  }

  v1::PodSandboxState PodState(const std::string& id) {
    grpc::ClientContext ctx;
    v1::PodSandboxStatusRequest req;
    req.set_pod_sandbox_id(id);
    v1::PodSandboxStatusResponse resp;
    EXPECT_TRUE(runtime_->PodSandboxStatus(&ctx, req, &resp).ok());
    return resp.status().state();
  }

  grpc::Status StopPod(const std::string& id) {
    grpc::ClientContext ctx;
    v1::StopPodSandboxRequest req;
    req.set_pod_sandbox_id(id);
    v1::StopPodSandboxResponse resp;
    return runtime_->StopPodSandbox(&ctx, req, &resp);
  }
  grpc::Status RemovePod(const std::string& id) {
    grpc::ClientContext ctx;
    v1::RemovePodSandboxRequest req;
    req.set_pod_sandbox_id(id);
    v1::RemovePodSandboxResponse resp;
    return runtime_->RemovePodSandbox(&ctx, req, &resp);
  }

  // The running processes of compute system `id` (the fake numbers them 100, 104, ...).
  std::vector<uint32_t> RunningPids(const std::string& id) {
    std::vector<uint32_t> pids;
    for (uint32_t pid = 100; pid < 2000; pid += 4) {
      if (hcs_.ProcessRunning(id, pid)) pids.push_back(pid);
    }
    return pids;
  }

  // The VM's modify requests, parsed.
  std::vector<json> VmRequests(const std::string& vm) {
    std::vector<json> out;
    for (const std::string& r : hcs_.Modifications(vm)) out.push_back(json::parse(r));
    return out;
  }

  static reg::ServedImages* served_;
  std::string dir_;
  rw::fake::FakeHcs hcs_;
  network::hns::fake::FakeHcn hcn_;
  rw::jobobject::fake::FakeJobApi jobs_;
  image::layers::wcifs::FakeLayerApi layers_;
  rw::host_path::fake::FakeHostPathApi paths_;
  rw::hostprocess::fake::FakeProcessApi processes_;
  rw::readiness::fake::FakeReadinessApi readiness_;
  std::shared_ptr<rw::shim::InProcessShimPort> shims_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<v1::RuntimeService::Stub> runtime_;
  std::unique_ptr<v1::ImageService::Stub> images_;
};
reg::ServedImages* WindowsHypervisorCriTest::served_ = nullptr;

TEST_F(WindowsHypervisorCriTest, AHyperVPodRunsTwoContainersInItsUtilityVmBesideAProcessIsolatedPod) {
  {
    grpc::ClientContext ctx;
    v1::StatusResponse status;
    ASSERT_TRUE(runtime_->Status(&ctx, v1::StatusRequest(), &status).ok());
    std::set<std::string> names;
    for (const v1::RuntimeHandler& h : status.runtime_handlers()) names.insert(h.name());
    EXPECT_TRUE(names.count(kHyperV)) << status.DebugString();
    EXPECT_TRUE(names.count(rw::kDefaultProcessHandlerName)) << status.DebugString();
    for (const v1::RuntimeCondition& c : status.status().conditions()) {
      EXPECT_TRUE(c.status()) << c.type() << ": " << c.reason() << " " << c.message();
    }
  }

  // The Hyper-V pod: a utility VM booted from the sandbox image's UtilityVM
  // (pulled on demand), its scratch a copy of SystemTemplate.vhdx granted to it.
  const v1::PodSandboxConfig hv_config = PodConfig("isolated");
  std::string hv_pod;
  grpc::Status s = RunPod(hv_config, kHyperV, &hv_pod);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const std::string vm = rw::hypervisor::UvmIdFor(hv_pod);
  EXPECT_EQ(hcs_.SystemState(vm), "Running");
  EXPECT_EQ(hcs_.SystemState(hv_pod), "") << "no pause system: the VM holds the pod";
  const json vm_doc = json::parse(hcs_.Configuration(vm));
  EXPECT_EQ(vm_doc["Owner"], "silo-uvm");
  EXPECT_EQ(vm_doc["VirtualMachine"]["ComputeTopology"]["Memory"]["SizeInMB"], 2048) << "the handler's config";
  std::string vm_scratch_hcs = absl::StrCat("C:", dir_, "/root/uvm/", hv_pod, "/sandbox.vhdx");
  std::replace(vm_scratch_hcs.begin(), vm_scratch_hcs.end(), '/', '\\');
  EXPECT_TRUE(absl::EndsWith(ReadFile(absl::StrCat(dir_, "/root/uvm/", hv_pod, "/sandbox.vhdx")),
                             "uvm scratch template 20348"));
  EXPECT_EQ(hcs_.vm_access_grants(), std::vector<std::string>{vm + "|" + vm_scratch_hcs});
  EXPECT_THAT(vm_doc.dump(), HasSubstr("UtilityVM\\\\Files")) << "the VSMB share it boots from";
  EXPECT_EQ(PodState(hv_pod), v1::SANDBOX_READY);

  // A process-isolated pod on the same daemon: its own pause system.
  const v1::PodSandboxConfig plain_config = PodConfig("plain");
  std::string plain_pod;
  s = RunPod(plain_config, "", &plain_pod);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(hcs_.SystemState(plain_pod), "Running");
  EXPECT_EQ(json::parse(hcs_.Configuration(plain_pod))["Owner"], "silo-sandbox");

  // Two hosted containers: the shared base layer is one VSMB share, each
  // scratch has its own LUN.
  for (const char* tag : {"app", "tool"}) {
    s = Pull(tag);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  std::string c1, c2, plain;
  s = CreateAndStart(hv_pod, hv_config, "app", "app", &c1);
  ASSERT_TRUE(s.ok()) << s.error_message();
  s = CreateAndStart(hv_pod, hv_config, "tool", "tool", &c2);
  ASSERT_TRUE(s.ok()) << s.error_message();
  s = CreateAndStart(plain_pod, plain_config, "app", "app", &plain);
  ASSERT_TRUE(s.ok()) << s.error_message();
  for (const std::string& id : {c1, c2}) {
    const json doc = json::parse(hcs_.Configuration(id));
    EXPECT_EQ(doc["HostingSystemId"], vm) << id;
    EXPECT_EQ(doc["Owner"], "silo-hosted") << id;
  }
  EXPECT_FALSE(json::parse(hcs_.Configuration(plain)).contains("HostingSystemId"));
  std::map<std::string, int> share_adds;
  std::set<std::string> luns;
  for (const json& r : VmRequests(vm)) {
    const std::string path = r.value("ResourcePath", "");
    if (r.value("RequestType", "") != "Add") continue;
    if (absl::StrContains(path, "VirtualSmb")) ++share_adds[r["Settings"]["Path"].get<std::string>()];
    if (absl::StrContains(path, "/Attachments/")) luns.insert(path);
  }
  EXPECT_EQ(share_adds.size(), 3u) << "base, app and tool layers";
  for (const auto& [path, n] : share_adds) EXPECT_EQ(n, 1) << path << " is shared, not added twice";
  EXPECT_EQ(luns.size(), 2u) << "one LUN per container scratch";
  EXPECT_TRUE(layers_.Activated().size() == 2u) << "only the process-isolated pause and container are mounted on the host";

  // Output, exec: through the hosted container's shim.
  ASSERT_EQ(RunningPids(c1).size(), 1u);
  const uint32_t main_pid = RunningPids(c1)[0];
  ASSERT_TRUE(hcs_.WriteProcessOutput(c1, main_pid, false, "hello from the VM\n"));
  std::thread exec_process([&] {
    uint32_t pid = 0;
    Eventually([&] {
      for (uint32_t p : RunningPids(c1)) {
        if (p != main_pid) pid = p;
      }
      return pid != 0;
    });
    if (pid == 0) return;
    hcs_.WriteProcessOutput(c1, pid, false, "isolated\r\n");
    hcs_.ExitProcess(c1, pid, 0);
  });
  {
    grpc::ClientContext ctx;
    v1::ExecSyncRequest req;
    req.set_container_id(c1);
    req.add_cmd("hostname");
    req.set_timeout(20);
    v1::ExecSyncResponse resp;
    s = runtime_->ExecSync(&ctx, req, &resp);
    exec_process.join();
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.stdout(), "isolated\r\n");
  }
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(ReadFile(absl::StrCat(dir_, "/logs/isolated/app/0.log")), " stdout F hello from the VM");
  }));

  // Stats through HCS: the VM's counters are the pod's totals (it holds
  // every process of the pod), each container's come from its Statistics.
  hcs_.SetProperty(vm, "Statistics", R"({"Processor":{"TotalRuntime100ns":40000000}})");
  hcs_.SetProperty(vm, "Memory", R"({"VirtualMachineMemory":{"AssignedMemory":131072}})");
  for (const std::string& id : {c1, c2}) {
    hcs_.SetProperty(id, "Statistics",
                     R"({"Processor":{"TotalRuntime100ns":10000000},"Memory":{"MemoryUsageCommitBytes":8388608,)"
                     R"("MemoryUsagePrivateWorkingSetBytes":4194304}})");
  }
  v1::PodSandboxStats pod_stats;
  ASSERT_TRUE(Eventually([&] {
    grpc::ClientContext ctx;
    v1::ListPodSandboxStatsResponse resp;
    if (!runtime_->ListPodSandboxStats(&ctx, v1::ListPodSandboxStatsRequest(), &resp).ok()) return false;
    for (const v1::PodSandboxStats& p : resp.stats()) {
      if (p.attributes().id() == hv_pod && p.windows().has_cpu() && p.windows().containers_size() == 2 &&
          p.windows().containers(0).has_cpu() && p.windows().containers(1).has_cpu()) {
        pod_stats = p;
        return true;
      }
    }
    return false;
  }));
  EXPECT_EQ(pod_stats.windows().cpu().usage_core_nano_seconds().value(), 4'000'000'000u) << "the VM's, not a sum";
  EXPECT_EQ(pod_stats.windows().memory().working_set_bytes().value(), 512u << 20) << "131072 pages of 4 KiB";
  EXPECT_EQ(pod_stats.windows().containers(0).cpu().usage_core_nano_seconds().value(), 1'000'000'000u);
  EXPECT_EQ(pod_stats.windows().containers(0).memory().working_set_bytes().value(), 4u << 20);

  // silod restarts: the VM and the hosted containers keep running (silod's
  // handle is not the last word on them) and the new silod takes them over.
  runtime_.reset();
  daemon_.reset();
  hcs_.Drain();
  EXPECT_EQ(hcs_.SystemState(vm), "Running");
  EXPECT_EQ(hcs_.SystemState(c1), "Running");
  EXPECT_EQ(hcs_.open_system_handles(0), 0) << "silod held the VM only while it ran";
  // The root lock is held until the process exits; a new process takes a new one.
  fs::remove(dir_ + "/root/silod.lock");
  StartDaemon();
  EXPECT_EQ(PodState(hv_pod), v1::SANDBOX_READY);
  EXPECT_EQ(State(c1), v1::CONTAINER_RUNNING);
  EXPECT_EQ(State(c2), v1::CONTAINER_RUNNING);
  EXPECT_EQ(State(plain), v1::CONTAINER_RUNNING);

  // Stop: the containers end, their layers leave the VM, then the VM goes
  // and its grants are revoked (the strict fake refuses a device change on a
  // VM that is gone).
  const size_t before_stop = hcs_.call_sequence().size();
  s = StopPod(hv_pod);
  ASSERT_TRUE(s.ok()) << s.error_message();
  hcs_.Drain();
  EXPECT_EQ(State(c1), v1::CONTAINER_EXITED);
  EXPECT_EQ(State(c2), v1::CONTAINER_EXITED);
  EXPECT_FALSE(hcs_.SystemExists(vm));
  using rw::fake::FakeCall;
  const std::vector<FakeCall> all = hcs_.call_sequence();
  const std::vector<FakeCall> stop(all.begin() + static_cast<std::ptrdiff_t>(before_stop), all.end());
  // Per container: combined layers, guest unmount, detach; then 3 shares, then the namespace.
  EXPECT_EQ(std::count(stop.begin(), stop.end(), FakeCall::kModify), 2 * 3 + 3 + 1);
  const auto last_modify = std::find(stop.rbegin(), stop.rend(), FakeCall::kModify).base();
  EXPECT_EQ(std::count(last_modify, stop.end(), FakeCall::kRevokeVmAccess), 1) << "the VM's own, after its devices";
  EXPECT_EQ(std::count(stop.begin(), stop.end(), FakeCall::kRevokeVmAccess), 3) << "two scratches and the VM's";
  EXPECT_TRUE(hcs_.vm_access_grants().empty()) << "grants revoked";
  EXPECT_EQ(State(plain), v1::CONTAINER_RUNNING) << "the other pod is untouched";
  s = RemovePod(hv_pod);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(hcs_.SystemExists(c1));
  EXPECT_FALSE(hcs_.SystemExists(c2));
  EXPECT_FALSE(fs::exists(absl::StrCat(dir_, "/root/uvm/", hv_pod))) << "the VM's scratch is deleted";

  ASSERT_TRUE(StopPod(plain_pod).ok());
  ASSERT_TRUE(RemovePod(plain_pod).ok());
  hcs_.Drain();
  EXPECT_EQ(hcs_.open_system_handles(0), 0);
  EXPECT_TRUE(hcn_.NamespaceIds().empty());
  EXPECT_TRUE(layers_.Activated().empty());
  const fs::path scratch = fs::path(dir_) / "root/wcifs/scratch";
  EXPECT_TRUE(!fs::exists(scratch) || fs::is_empty(scratch)) << "a scratch layer was left in " << scratch;
  EXPECT_EQ(shims_->live_shims(), 0);
}

TEST_F(WindowsHypervisorCriTest, AUtilityVmThatFailsToBeCreatedRefusesThePodAndLeavesNothing) {
  v1::PodSandboxConfig config = PodConfig("noboot");
  std::string pod;
  hcs_.Inject(rw::fake::FakeInjection(rw::fake::FakeCall::kCreateComputeSystem, rw::fake::FakeFault::kFailCall,
                                      0x80070005, "injected"));
  grpc::Status s = RunPod(config, kHyperV, &pod);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error_message(), HasSubstr("@vm"));
  hcs_.Drain();
  EXPECT_TRUE(hcs_.vm_access_grants().empty());
  EXPECT_EQ(hcs_.open_system_handles(0), 0);
  EXPECT_TRUE(hcn_.NamespaceIds().empty());
  EXPECT_TRUE(!fs::exists(dir_ + "/root/uvm") || fs::is_empty(dir_ + "/root/uvm")) << "the VM's scratch copy is gone";
  grpc::ClientContext ctx;
  v1::ListPodSandboxResponse listed;
  ASSERT_TRUE(runtime_->ListPodSandbox(&ctx, v1::ListPodSandboxRequest(), &listed).ok());
  EXPECT_EQ(listed.items_size(), 0);
}

}  // namespace
}  // namespace silo::cri
