// The "hypervisor" type in the Windows handler registry, beside a
// process-isolated handler, over the fake API tables.
#include "runtime/windows/hypervisor/hypervisor_handler.h"

#include <unistd.h>

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "network/hns/fake/fake_hcn.h"
#include "nlohmann/json.hpp"
#include "runtime/fake/fake_process_streaming.h"
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/handler/windows_handlers.h"
#include "runtime/windows/jobobject/fake/fake_job_api.h"
#include "runtime/windows/stats/windows_stats_source.h"

namespace silo::runtime::windows::hypervisor {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

class HypervisorHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           (std::string("hv_handler_") + ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
            std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    parts_.hcs = &hcs_.api();
    parts_.hcn = &hcn_.api();
    parts_.jobs = &jobs_.api();
    parts_.sandbox.state_dir = (dir_ / "sandboxes").string();
    parts_.containers.state_dir = (dir_ / "containers").string();
    parts_.make_stats = [] {
      WindowsStatsSourceOptions options;
      options.read_job = [](const std::string& job) -> absl::StatusOr<stats::GroupCounters> {
        return absl::NotFoundError(job);
      };
      return std::make_unique<WindowsStatsSource>(std::move(options));
    };
    parts_.make_streaming = [] { return std::make_unique<::silo::runtime::fake::FakeProcessStreaming>("windows"); };
    parts_.hypervisor.sandbox.prepare_vm = [](const std::string& id) -> absl::StatusOr<UvmBootFiles> {
      return UvmBootFiles{"C:\\silo\\layers\\base\\UtilityVM", "C:\\silo\\pods\\" + id + "\\vm.vhdx"};
    };
    parts_.hypervisor.sandbox.release_vm = [](const std::string&) { return absl::OkStatus(); };
    parts_.hypervisor.prepare_layers = [](const container::CreateSpec&) -> absl::StatusOr<HostedRootfs> {
      return absl::UnimplementedError("not in this test");
    };
    parts_.hypervisor.release_layers = [](const std::string&) { return absl::OkStatus(); };
  }
  void TearDown() override {
    hcs_.Drain();
    EXPECT_EQ(hcs_.open_system_handles(), 0);
    std::filesystem::remove_all(dir_);
  }

  absl::Status Configure(handler::HandlerRegistry& registry) {
    RegisterWindowsHandlerTypes(registry, parts_);
    handler::HandlerSpec hv{kDefaultHypervisorHandlerName, kHypervisorHandlerType, {}};
    hv.uvm_memory_mb = 3072;
    hv.uvm_processors = 3;
    return registry.Configure({{kDefaultProcessHandlerName, kProcessHandlerType, {}}, hv}, kDefaultProcessHandlerName);
  }

  fake::FakeHcs hcs_;
  network::hns::fake::FakeHcn hcn_;
  jobobject::fake::FakeJobApi jobs_;
  std::filesystem::path dir_;
  WindowsHandlerParts parts_;
};

TEST_F(HypervisorHandlerTest, TheHypervisorTypeRunsBesideTheProcessTypeAndSizesVmsFromItsConfig) {
  handler::HandlerRegistry registry;
  ASSERT_TRUE(Configure(registry).ok());
  EXPECT_THAT(registry.Types(), Contains("hypervisor"));
  absl::StatusOr<handler::RuntimeHandler*> h = registry.For(kDefaultHypervisorHandlerName, kHypervisorHandlerType);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_THAT((*h)->Describe(), HasSubstr("experimental"));
  ASSERT_TRUE((*h)->Sandboxes().StartPod("pod-1", {}).ok());
  const nlohmann::json doc = nlohmann::json::parse(hcs_.Configuration("pod-1@vm"));
  EXPECT_EQ(doc["VirtualMachine"]["ComputeTopology"]["Memory"]["SizeInMB"], 3072);
  EXPECT_EQ(doc["VirtualMachine"]["ComputeTopology"]["Processor"]["Count"], 3);
  // The process handler's recovery does not list the VM as its leak.
  absl::StatusOr<handler::RuntimeHandler*> process = registry.For(kDefaultProcessHandlerName, kProcessHandlerType);
  ASSERT_TRUE(process.ok());
  absl::StatusOr<std::vector<std::string>> theirs = (*process)->Sandboxes().ListNamespaces();
  ASSERT_TRUE(theirs.ok());
  EXPECT_THAT(*theirs, ::testing::Not(Contains("pod-1")));
  EXPECT_TRUE((*h)->Sandboxes().StopPod("pod-1").ok());
  hcs_.Drain();
  EXPECT_FALSE(hcs_.SystemExists("pod-1@vm"));
}

TEST_F(HypervisorHandlerTest, WithoutItsUtilityVmImageTheTypeRefusesToStartSayingSo) {
  parts_.hypervisor.sandbox.prepare_vm = nullptr;
  handler::HandlerRegistry registry;
  absl::Status s = Configure(registry);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("utility VM image"));
}

TEST_F(HypervisorHandlerTest, OwnersSharedWithTheProcessTypeAreRefused) {
  parts_.hypervisor.container_owner = parts_.containers.owner;
  handler::HandlerRegistry registry;
  absl::Status s = Configure(registry);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("owners"));
}

}  // namespace
}  // namespace silo::runtime::windows::hypervisor
