// Hyper-V isolated pods through silod's CRI service on Linux: the daemon
// wired by WireWindowsParts over the fake Windows API tables, with a
// `hypervisor` handler (runhcs-wcow-hypervisor) beside the process-isolated
// default. The utility VM boots from the sandbox image's base layer
// (UtilityVM, pulled from a real registry and imported by the WCIFS
// importer), hosted containers get their layers from the WCIFS layer store,
// each held by its silo-shim (InProcessShimPort). Driven only through CRI.
#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cri/daemon/windows/windows_cri_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/windows/handler/windows_handlers.h"
#include "runtime/windows/hypervisor/hypervisor_sandbox_host.h"

namespace silo::cri {
namespace {

namespace fs = std::filesystem;
namespace v1 = ::runtime::v1;
namespace rw = runtime::windows;
using nlohmann::json;
using ::testing::HasSubstr;
using wintest::Eventually;
using wintest::ReadFile;

constexpr char kHyperV[] = "runhcs-wcow-hypervisor";

class WindowsHypervisorCriTest : public wintest::WindowsCriFixture {
 protected:
  // The sandbox image's base carries the utility VM; the apps share it.
  static void SetUpTestSuite() { ServeImages({.utility_vm = true}); }

  void SetUp() override {
    WindowsCriFixture::SetUp();
    StartDaemonInProcess(MakeConfig({HypervisorHandler()}));
  }

  static RuntimeHandlerConfig HypervisorHandler() {
    RuntimeHandlerConfig hyperv;
    hyperv.name = kHyperV;
    hyperv.type = rw::hypervisor::kHypervisorHandlerType;
    hyperv.uvm_memory_mb = 2048;
    return hyperv;
  }

  // The VM's modify requests, parsed.
  std::vector<json> VmRequests(const std::string& vm) {
    std::vector<json> out;
    for (const std::string& r : hcs_.Modifications(vm)) out.push_back(json::parse(r));
    return out;
  }
};

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
  const v1::PodSandboxConfig hv_config = PodConfig("isolated", false);
  std::string hv_pod;
  grpc::Status s = RunPod(hv_config, &hv_pod, kHyperV);
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
  EXPECT_EQ(PodStatus(hv_pod).state(), v1::SANDBOX_READY);

  // A process-isolated pod on the same daemon: its own pause system.
  const v1::PodSandboxConfig plain_config = PodConfig("plain", false);
  std::string plain_pod;
  s = RunPod(plain_config, &plain_pod);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(hcs_.SystemState(plain_pod), "Running");
  EXPECT_EQ(json::parse(hcs_.Configuration(plain_pod))["Owner"], "silo-sandbox");

  // Two hosted containers: the shared base layer is one VSMB share, each
  // scratch has its own LUN.
  for (const char* tag : {"app", "tool"}) {
    std::string image_id;
    s = PullImage(Ref(tag), &image_id);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  std::string c1, c2, plain;
  s = CreateAndStart(hv_pod, hv_config, ContainerOf("app", "app"), &c1);
  ASSERT_TRUE(s.ok()) << s.error_message();
  s = CreateAndStart(hv_pod, hv_config, ContainerOf("tool", "tool"), &c2);
  ASSERT_TRUE(s.ok()) << s.error_message();
  s = CreateAndStart(plain_pod, plain_config, ContainerOf("app", "app"), &plain);
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
  ExpectExecSyncAnswers(c1, main_pid, "isolated\r\n");
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
  StopDaemonInProcess();
  hcs_.Drain();
  EXPECT_EQ(hcs_.SystemState(vm), "Running");
  EXPECT_EQ(hcs_.SystemState(c1), "Running");
  EXPECT_EQ(hcs_.open_system_handles(0), 0) << "silod held the VM only while it ran";
  StartDaemonInProcess(MakeConfig({HypervisorHandler()}));
  EXPECT_EQ(PodStatus(hv_pod).state(), v1::SANDBOX_READY);
  EXPECT_EQ(Status(c1).state(), v1::CONTAINER_RUNNING);
  EXPECT_EQ(Status(c2).state(), v1::CONTAINER_RUNNING);
  EXPECT_EQ(Status(plain).state(), v1::CONTAINER_RUNNING);

  // Stop: the containers end, their layers leave the VM, then the VM goes
  // and its grants are revoked (the strict fake refuses a device change on a
  // VM that is gone).
  const size_t before_stop = hcs_.call_sequence().size();
  s = StopPod(hv_pod);
  ASSERT_TRUE(s.ok()) << s.error_message();
  hcs_.Drain();
  EXPECT_EQ(Status(c1).state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(Status(c2).state(), v1::CONTAINER_EXITED);
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
  EXPECT_EQ(Status(plain).state(), v1::CONTAINER_RUNNING) << "the other pod is untouched";
  s = RemovePod(hv_pod);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(hcs_.SystemExists(c1));
  EXPECT_FALSE(hcs_.SystemExists(c2));
  EXPECT_FALSE(fs::exists(absl::StrCat(dir_, "/root/uvm/", hv_pod))) << "the VM's scratch is deleted";

  StopAndRemovePod(plain_pod);
  hcs_.Drain();
  ExpectNothingLeft({vm, hv_pod, c1, c2, plain_pod, plain});
}

TEST_F(WindowsHypervisorCriTest, AUtilityVmThatFailsToBeCreatedRefusesThePodAndLeavesNothing) {
  v1::PodSandboxConfig config = PodConfig("noboot", false);
  std::string pod;
  hcs_.Inject(rw::fake::FakeInjection(rw::fake::FakeCall::kCreateComputeSystem, rw::fake::FakeFault::kFailCall,
                                      0x80070005, "injected"));
  grpc::Status s = RunPod(config, &pod, kHyperV);
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
