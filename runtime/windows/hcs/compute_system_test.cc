#include "runtime/windows/hcs/compute_system.h"

#include <chrono>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/hresult_codes.h"

namespace silo::runtime::windows::hcs {
namespace {

using fake::FakeCall;
using fake::FakeFault;
using fake::FakeHcs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kDocument[] = R"({"Owner":"silo","SchemaVersion":{"Major":2,"Minor":1},"Container":{}})";

Deadline Soon() { return Clock::now() + std::chrono::seconds(10); }

class ComputeSystemTest : public ::testing::Test {
 protected:
  void TearDown() override {
    fake_.Drain();
    EXPECT_EQ(fake_.open_operations(), 0);
    EXPECT_EQ(fake_.open_system_handles(), 0);
    EXPECT_EQ(fake_.open_process_handles(), 0);
    EXPECT_EQ(fake_.open_stdio_handles(), 0);
    EXPECT_EQ(fake_.outstanding_strings(), 0);
    EXPECT_EQ(fake_.bad_closes(), 0) << "a handle was closed twice";
  }

  std::unique_ptr<ComputeSystem> CreateStarted(const std::string& id) {
    auto sys = ComputeSystem::Create(fake_.api(), id, kDocument, Soon());
    EXPECT_TRUE(sys.ok()) << sys.status().ToString();
    if (!sys.ok()) return nullptr;
    win32::HrStatus s = (*sys)->Start(Soon());
    EXPECT_TRUE(s.ok()) << s.ToString();
    return std::move(*sys);
  }

  FakeHcs fake_;
};

TEST_F(ComputeSystemTest, FullLifecycle) {
  auto created = ComputeSystem::Create(fake_.api(), "c1", kDocument, Soon());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  std::unique_ptr<ComputeSystem> sys = std::move(*created);
  EXPECT_EQ(fake_.SystemState("c1"), "Created");

  ASSERT_TRUE(sys->Start(Soon()).ok());
  EXPECT_EQ(fake_.SystemState("c1"), "Running");

  win32::Result<std::string> props = sys->Properties(R"({"PropertyTypes":[]})", Soon());
  ASSERT_TRUE(props.ok()) << props.status().ToString();
  EXPECT_THAT(*props, HasSubstr("\"State\":\"Running\""));

  const std::string settings = R"({"ResourcePath":"Container/Memory/SizeInMB","RequestType":"Update","Settings":256})";
  ASSERT_TRUE(sys->Modify(settings, Soon()).ok());
  EXPECT_THAT(fake_.Modifications("c1"), ElementsAre(settings));

  ASSERT_TRUE(sys->Shutdown(Soon()).ok());
  EXPECT_EQ(fake_.SystemState("c1"), "Stopped");
  win32::Result<SystemExit> exit = sys->WaitForExit(Soon());
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->exit_type, "GracefulExit");
  EXPECT_EQ(exit->status, 0u);

  sys->Close();
  sys->Close();  // idempotent
  EXPECT_FALSE(fake_.SystemExists("c1")) << "a stopped system goes away with its last handle";
}

TEST_F(ComputeSystemTest, CreateDuplicateIsAlreadyExists) {
  auto first = CreateStarted("c1");
  auto second = ComputeSystem::Create(fake_.api(), "c1", kDocument, Soon());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().hr(), codes::kHcsESystemAlreadyExists);
  EXPECT_THAT(second.status().message(), HasSubstr("HcsCreateComputeSystem c1"));
}

TEST_F(ComputeSystemTest, CreateTimeoutCancelsAndClosesTheHandle) {
  fake_.Inject({FakeCall::kCreateComputeSystem, FakeFault::kSlow});
  auto sys = ComputeSystem::Create(fake_.api(), "c1", kDocument, Clock::now() + std::chrono::seconds(2));
  ASSERT_FALSE(sys.ok());
  EXPECT_TRUE(codes::IsTimeout(sys.status().hr()));
  EXPECT_EQ(fake_.cancelled_operations(), 1);
  // The create may still complete: the system is terminated before its
  // handle closes (hcsshim CreateComputeSystem), never only closed.
  EXPECT_EQ(fake_.calls(FakeCall::kTerminate), 1);
  // TearDown checks that the handle HCS returned with the call was closed.
}

TEST_F(ComputeSystemTest, ACreatedSystemThatCannotBeWatchedIsTerminatedNotLeaked) {
  // Created, but the callback cannot be set: without a terminate the
  // container would run on with nobody holding or watching it.
  fake_.Inject({FakeCall::kSetSystemCallback, FakeFault::kFailCall, codes::kHcsEOperationSystemCallbackAlreadySet});
  auto sys = ComputeSystem::Create(fake_.api(), "c1", kDocument, Soon());
  ASSERT_FALSE(sys.ok());
  EXPECT_EQ(sys.status().hr(), codes::kHcsEOperationSystemCallbackAlreadySet);
  EXPECT_EQ(fake_.calls(FakeCall::kTerminate), 1);
  fake_.Drain();
  EXPECT_FALSE(fake_.SystemExists("c1"));
}

TEST_F(ComputeSystemTest, OpenMissingIsNotExist) {
  auto sys = ComputeSystem::Open(fake_.api(), "nope");
  ASSERT_FALSE(sys.ok());
  EXPECT_TRUE(codes::IsNotExist(sys.status().hr()));
  EXPECT_THAT(sys.status().message(), HasSubstr("HcsOpenComputeSystem nope"));
}

TEST_F(ComputeSystemTest, OpenVmcomputeNotFoundFormIsNotExist) {
  fake_.AddSystem("c1", "silo", true);
  fake_.Inject({FakeCall::kOpenComputeSystem, FakeFault::kFailCall, 0xC037010E});
  auto sys = ComputeSystem::Open(fake_.api(), "c1");
  ASSERT_FALSE(sys.ok());
  EXPECT_TRUE(codes::IsNotExist(sys.status().hr()));
}

TEST_F(ComputeSystemTest, StartAccessDeniedKeepsHResult) {
  auto created = ComputeSystem::Create(fake_.api(), "c1", kDocument, Soon());
  ASSERT_TRUE(created.ok());
  fake_.Inject({FakeCall::kStart, FakeFault::kFailResult, codes::kHcsEAccessDenied, "Access is denied.", {}});
  win32::HrStatus s = (*created)->Start(Soon());
  EXPECT_TRUE(codes::IsAccessDenied(s.hr()));
  EXPECT_EQ(s.message(), "HcsStartComputeSystem c1: Access is denied.");
  EXPECT_EQ(fake_.SystemState("c1"), "Created");
}

TEST_F(ComputeSystemTest, AsyncStartCompletesOnHcsThread) {
  auto created = ComputeSystem::Create(fake_.api(), "c1", kDocument, Soon());
  ASSERT_TRUE(created.ok());
  fake_.Inject({FakeCall::kStart, FakeFault::kAsync});
  ASSERT_TRUE((*created)->Start(Soon()).ok());
  EXPECT_EQ(fake_.SystemState("c1"), "Running");
}

TEST_F(ComputeSystemTest, PendingShutdownCountsAsStarted) {
  auto sys = CreateStarted("c1");
  fake_.Inject({FakeCall::kShutDown, FakeFault::kPending});
  win32::HrStatus s = sys->Shutdown(Soon());
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(fake_.SystemState("c1"), "Stopped");
}

TEST_F(ComputeSystemTest, TerminateAlreadyStoppedIsOk) {
  auto sys = CreateStarted("c1");
  ASSERT_TRUE(sys->Terminate(Soon()).ok());
  EXPECT_EQ(fake_.SystemState("c1"), "Stopped");
  EXPECT_TRUE(sys->Terminate(Soon()).ok());
  EXPECT_TRUE(sys->Shutdown(Soon()).ok());
  EXPECT_EQ(fake_.calls(FakeCall::kTerminate), 2);
}

TEST_F(ComputeSystemTest, TerminateReportsV1AlreadyStoppedAsOk) {
  auto sys = CreateStarted("c1");
  fake_.Inject({FakeCall::kTerminate, FakeFault::kFailCall, 0xC0370110});
  EXPECT_TRUE(sys->Terminate(Soon()).ok());
}

// A system that vanished between the open and the stop (another caller
// removed it) is stopped: HCS says HCS_E_SYSTEM_NOT_FOUND, in either form.
TEST_F(ComputeSystemTest, ShutdownAndTerminateOfAVanishedSystemSucceed) {
  auto sys = CreateStarted("c1");
  fake_.Inject({FakeCall::kShutDown, FakeFault::kFailCall, 0xC037010E, "does not exist"});
  win32::HrStatus shut = sys->Shutdown(Soon());
  EXPECT_TRUE(shut.ok()) << shut.ToString();
  fake_.Inject({FakeCall::kTerminate, FakeFault::kFailCall, codes::kHcsESystemNotFound, "does not exist"});
  win32::HrStatus term = sys->Terminate(Soon());
  EXPECT_TRUE(term.ok()) << term.ToString();
  fake_.Inject({FakeCall::kShutDown, FakeFault::kFailCall, codes::kHcsESystemNotFound});
  EXPECT_TRUE(sys->Stop(Soon(), Soon()).ok());
  EXPECT_EQ(fake_.calls(FakeCall::kTerminate), 1) << "a vanished system needs no terminate after shutdown";
}

TEST_F(ComputeSystemTest, StopFallsBackToTerminateWhenShutdownIsIgnored) {
  auto sys = CreateStarted("c1");
  fake_.set_ignore_shutdown(true);
  // The grace period has already passed, so the wait for SystemExited after
  // the ignored shutdown ends at once and Stop moves on to terminate.
  win32::HrStatus s = sys->Stop(Clock::now(), Soon());
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(fake_.calls(FakeCall::kShutDown), 1);
  EXPECT_EQ(fake_.calls(FakeCall::kTerminate), 1);
  win32::Result<SystemExit> exit = sys->WaitForExit(Soon());
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->exit_type, "ForcedExit");
}

TEST_F(ComputeSystemTest, StopWithFailingTerminateReportsBoth) {
  auto sys = CreateStarted("c1");
  fake_.Inject({FakeCall::kShutDown, FakeFault::kFailCall, codes::kHcsEInvalidState});
  fake_.Inject({FakeCall::kTerminate, FakeFault::kFailCall, codes::kHcsEAccessDenied});
  win32::HrStatus s = sys->Stop(Soon(), Soon());
  EXPECT_TRUE(codes::IsAccessDenied(s.hr()));
  EXPECT_THAT(s.message(), HasSubstr("after shutdown"));
  EXPECT_EQ(fake_.SystemState("c1"), "Running");
}

TEST_F(ComputeSystemTest, UnexpectedExitIsDelivered) {
  auto sys = CreateStarted("c1");
  fake_.CrashSystem("c1");
  win32::Result<SystemExit> exit = sys->WaitForExit(Soon());
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->exit_type, "UnexpectedExit");
  EXPECT_EQ(exit->status, codes::kHcsEUnexpectedExit);
}

TEST_F(ComputeSystemTest, ServiceDisconnectAbortsWaiters) {
  auto sys = CreateStarted("c1");
  fake_.DisconnectService();
  win32::Result<SystemExit> exit = sys->WaitForExit(kNoDeadline);
  ASSERT_FALSE(exit.ok());
  EXPECT_EQ(exit.status().hr(), codes::kHcsEServiceDisconnect);
}

TEST_F(ComputeSystemTest, WaitForExitTimesOutWhileRunning) {
  auto sys = CreateStarted("c1");
  win32::Result<SystemExit> exit = sys->WaitForExit(Clock::now());
  ASSERT_FALSE(exit.ok());
  EXPECT_TRUE(codes::IsTimeout(exit.status().hr()));
}

TEST_F(ComputeSystemTest, CallbackRegistrationFailureClosesHandle) {
  fake_.AddSystem("c1", "silo", true);
  fake_.Inject({FakeCall::kSetSystemCallback, FakeFault::kFailCall, codes::kHcsEOperationSystemCallbackAlreadySet});
  auto sys = ComputeSystem::Open(fake_.api(), "c1");
  ASSERT_FALSE(sys.ok());
  EXPECT_EQ(sys.status().hr(), codes::kHcsEOperationSystemCallbackAlreadySet);
}

TEST_F(ComputeSystemTest, EnumerateFiltersByOwnerForRecovery) {
  fake_.AddSystem("mine-1", "silo", true);
  fake_.AddSystem("mine-2", "silo", false);
  fake_.AddSystem("docker-1", "docker", true);
  auto found = ComputeSystem::Enumerate(fake_.api(), EnumerateQuery{{}, {"silo"}}, Soon());
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].id, "mine-1");
  EXPECT_EQ((*found)[0].state, "Running");
  EXPECT_EQ((*found)[1].id, "mine-2");

  // A host that ignores the query still cannot hand us docker's system.
  fake_.set_enumerate_ignores_query(true);
  found = ComputeSystem::Enumerate(fake_.api(), EnumerateQuery{{}, {"silo"}}, Soon());
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->size(), 2u);

  // Recovery: re-open each and keep managing it.
  for (const SystemSummary& s : *found) {
    auto sys = ComputeSystem::Open(fake_.api(), s.id);
    ASSERT_TRUE(sys.ok()) << sys.status().ToString();
    EXPECT_TRUE((*sys)->Terminate(Soon()).ok());
  }
  EXPECT_EQ(fake_.SystemState("docker-1"), "Running");
}

// silod restarts: its handles close but the systems (ShouldTerminateOnLastHandleClosed
// false) keep running; the new silod finds them by Owner and re-attaches.
TEST_F(ComputeSystemTest, RestartReopensRunningSystemsAndProcesses) {
  uint32_t pid = 0;
  {
    auto sys = CreateStarted("c1");
    auto p = sys->CreateProcess(R"({"CommandLine":"x"})", Soon());
    ASSERT_TRUE(p.ok());
    pid = (*p)->pid();
  }  // the old silod's objects are gone
  fake_.Drain();
  ASSERT_EQ(fake_.open_system_handles(), 0);
  ASSERT_EQ(fake_.SystemState("c1"), "Running");

  auto found = ComputeSystem::Enumerate(fake_.api(), EnumerateQuery{{}, {"silo"}}, Soon());
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  auto sys = ComputeSystem::Open(fake_.api(), (*found)[0].id);
  ASSERT_TRUE(sys.ok()) << sys.status().ToString();
  auto p = (*sys)->OpenProcess(pid);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  fake_.ExitProcess("c1", pid, 42);
  win32::Result<ProcessExit> exit = (*p)->WaitForExit(Soon());
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->exit_code, 42);
  EXPECT_TRUE((*sys)->Stop(Soon(), Soon()).ok());
}

TEST_F(ComputeSystemTest, EnumerateEmptyAndFailing) {
  auto none = ComputeSystem::Enumerate(fake_.api(), EnumerateQuery{{"x"}, {}}, Soon());
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  fake_.Inject({FakeCall::kEnumerate, FakeFault::kFailResult, codes::kHcsEServiceDisconnect, "gone", {}});
  auto failed = ComputeSystem::Enumerate(fake_.api(), EnumerateQuery{}, Soon());
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().hr(), codes::kHcsEServiceDisconnect);
}

TEST_F(ComputeSystemTest, ModifyOnStoppedSystemFails) {
  auto sys = CreateStarted("c1");
  ASSERT_TRUE(sys->Terminate(Soon()).ok());
  win32::HrStatus s = sys->Modify("{}", Soon());
  EXPECT_TRUE(codes::IsInvalidState(s.hr()));
}

// The fake refuses what HCS would: a modify of a system that is not
// running, and resource documents HCS cannot read; nothing refused is
// recorded.
TEST_F(ComputeSystemTest, FakeModifyAcceptsOnlyWellFormedRequestsOnARunningSystem) {
  auto created = ComputeSystem::Create(fake_.api(), "c1", kDocument, Soon());
  ASSERT_TRUE(created.ok());
  auto& sys = *created;
  const std::string memory = R"({"ResourcePath":"Container/Memory/SizeInMB","RequestType":"Update","Settings":256})";
  EXPECT_EQ(sys->Modify(memory, Soon()).hr(), codes::kHcsEInvalidState) << "created, not started";
  ASSERT_TRUE(sys->Start(Soon()).ok());
  for (const char* bad : {
           R"({"ResourcePath":"Container/Memory/SizeInMB","RequestType":"Update","Settings":0})",
           R"({"ResourcePath":"Container/Memory/SizeInMB","RequestType":"Update","Settings":"256"})",
           R"({"ResourcePath":"Container/Memory/SizeInMB","RequestType":"Change","Settings":256})",
           R"({"ResourcePath":"Container/Processor","RequestType":"Update","Settings":{"Count":2,"Weight":5}})",
           R"({"ResourcePath":"Container/Processor","RequestType":"Update","Settings":{"Limit":2}})",
           R"({"ResourcePath":"Container/Processor","RequestType":"Update","Settings":{}})",
           R"({"RequestType":"Update","Settings":256})",
           R"({"ResourcePath":"Container/Processor","RequestType":"Update","Setting":{"Count":2}})",
       }) {
    EXPECT_EQ(sys->Modify(bad, Soon()).hr(), codes::kEInvalidArg) << bad;
  }
  const std::string cpu = R"({"ResourcePath":"Container/Processor","RequestType":"Update","Settings":{"Count":2}})";
  ASSERT_TRUE(sys->Modify(memory, Soon()).ok());
  ASSERT_TRUE(sys->Modify(cpu, Soon()).ok());
  EXPECT_THAT(fake_.Modifications("c1"), ElementsAre(memory, cpu));
  ASSERT_TRUE(sys->Terminate(Soon()).ok());
  EXPECT_EQ(sys->Modify(memory, Soon()).hr(), codes::kHcsEInvalidState) << "stopped";
  sys->Close();
}

// HcsCloseComputeSystem/Process/Operation return nothing, and a second
// close of one handle is a use after free in HCS: the fake counts it.
TEST(FakeHcsTest, ClosingAHandleTwiceIsCounted) {
  FakeHcs fake;
  fake.AddSystem("c1", "silo", /*running=*/true);
  HcsHandle sys = nullptr;
  ASSERT_EQ(fake.api().open_compute_system(L"c1", 0, &sys), codes::kSOk);
  fake.api().close_compute_system(sys);
  EXPECT_EQ(fake.bad_closes(), 0);
  fake.api().close_compute_system(sys);
  EXPECT_EQ(fake.bad_closes(), 1);
  HcsHandle op = fake.api().create_operation(nullptr, nullptr);
  fake.api().close_operation(op);
  fake.api().close_operation(op);
  EXPECT_EQ(fake.bad_closes(), 2);
}

// A handle is valid only in the process that opened it.
TEST(FakeHcsTest, HandlesBelongToTheProcessThatOpenedThem) {
  FakeHcs fake;
  fake.AddSystem("c1", "silo", /*running=*/true, /*terminate_on_last_handle_closed=*/true);
  HcsHandle shim = nullptr;
  ASSERT_EQ(fake.api_for(1).open_compute_system(L"c1", 0, &shim), codes::kSOk);
  EXPECT_EQ(fake.open_system_handles(1), 1);
  // silod (process 0) cannot use or close the shim's handle.
  HcsHandle op = fake.api().create_operation(nullptr, nullptr);
  EXPECT_EQ(fake.api().terminate_compute_system(shim, op, L""), codes::kSOk);
  wchar_t* doc = nullptr;
  EXPECT_EQ(fake.api().wait_for_operation_result(op, 0, &doc), 0x80070006u);  // ERROR_INVALID_HANDLE
  if (doc != nullptr) fake.api().free_string(doc);
  fake.api().close_operation(op);
  fake.api().close_compute_system(shim);
  EXPECT_EQ(fake.bad_closes(), 1);
  EXPECT_EQ(fake.SystemState("c1"), "Running");
  // The shim's process dies: the OS closes its handles, the last one ends
  // the system; the dead process's own later close is no double close.
  EXPECT_EQ(fake.ReapHolder(1), 1);
  fake.Drain();
  EXPECT_FALSE(fake.SystemExists("c1"));
  fake.api_for(1).close_compute_system(shim);
  EXPECT_EQ(fake.bad_closes(), 1);
}

TEST(FakeHcsTest, WithoutTheFlagASystemOutlivesTheProcessHoldingIt) {
  FakeHcs fake;
  fake.AddSystem("c1", "silo", /*running=*/true);
  HcsHandle h = nullptr;
  ASSERT_EQ(fake.api_for(2).open_compute_system(L"c1", 0, &h), codes::kSOk);
  EXPECT_EQ(fake.ReapHolder(2), 1);
  EXPECT_EQ(fake.SystemState("c1"), "Running");
  EXPECT_EQ(fake.open_system_handles(), 0);
}

}  // namespace
}  // namespace silo::runtime::windows::hcs
