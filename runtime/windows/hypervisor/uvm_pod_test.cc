#include "runtime/windows/hypervisor/uvm_pod.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/hresult_codes.h"
#include "runtime/windows/hypervisor/guest_network.h"
#include "runtime/windows/hypervisor/testing_uvm.h"

namespace silo::runtime::windows::hypervisor {
namespace {

using fake::FakeCall;
using fake::FakeFault;
using fake::FakeInjection;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using nlohmann::json;

json Namespace() { return {{"Id", "0b4f5d0e-3c2a-4f57-9a61-7d1e2c3b4a59"}, {"Type", "HostDefault"}}; }

UvmEndpoint Endpoint(int n) {
  const std::string suffix = std::to_string(n);
  return {"7d3a1c52-9f0e-4b8a-8c1d-2e3f4a5b6c7" + suffix,
          {{"Id", "e1d2c3b4-a5f6-4788-9900-aabbccddeef" + suffix}, {"MacAddress", "00-15-5D-52-C0-0" + suffix}}};
}

UvmPodSpec Spec() {
  UvmPodSpec spec = TestPodSpec();
  spec.hcn_namespace = Namespace();
  spec.endpoints = {Endpoint(1), Endpoint(2)};
  return spec;
}

// The HCS calls that change state, in order (callback registration and
// property queries left out).
std::vector<FakeCall> Steps(const fake::FakeHcs& fake) {
  std::vector<FakeCall> out;
  for (FakeCall c : fake.call_sequence()) {
    if (c != FakeCall::kSetSystemCallback && c != FakeCall::kProperties) out.push_back(c);
  }
  return out;
}

class UvmPodTest : public ::testing::Test {
 protected:
  // Nothing may outlive a test: no system, grant, handle or operation.
  void ExpectNothingLeft() {
    fake_.Drain();
    EXPECT_FALSE(fake_.SystemExists(kTestVm));
    EXPECT_THAT(fake_.vm_access_grants(), IsEmpty());
    EXPECT_EQ(fake_.unmatched_vm_access_revokes(), 0);
    EXPECT_EQ(fake_.open_system_handles(), 0);
    EXPECT_EQ(fake_.open_operations(), 0);
    EXPECT_EQ(fake_.outstanding_strings(), 0);
    EXPECT_EQ(fake_.bad_closes(), 0);
  }

  fake::FakeHcs fake_;
};

TEST_F(UvmPodTest, CreateSendsTheBuiltRequestsInOrderAndStopUndoesThemInReverse) {
  absl::StatusOr<std::unique_ptr<UvmPod>> pod = UvmPod::Create(fake_.api(), Spec(), In(10));
  ASSERT_TRUE(pod.ok()) << pod.status();
  EXPECT_EQ(fake_.SystemState(kTestVm), "Running");
  EXPECT_THAT(fake_.vm_access_grants(), ElementsAre(std::string(kTestVm) + "|" + kTestVmScratch));
  EXPECT_THAT(fake_.Modifications(kTestVm),
              ElementsAre(*BuildGuestNamespaceAddRequest(Namespace()),
                          *BuildNetworkAdapterPreAddRequest(Endpoint(1).adapter_id, Endpoint(1).hcn_endpoint),
                          *BuildNetworkAdapterAddRequest(Endpoint(1).adapter_id, Endpoint(1).hcn_endpoint),
                          *BuildNetworkAdapterPreAddRequest(Endpoint(2).adapter_id, Endpoint(2).hcn_endpoint),
                          *BuildNetworkAdapterAddRequest(Endpoint(2).adapter_id, Endpoint(2).hcn_endpoint)));
  const json created = json::parse(fake_.Configuration(kTestVm));
  EXPECT_EQ(created.at("VirtualMachine").at("GuestConnection"), json::object());

  ASSERT_TRUE((*pod)->Stop(In(10), In(10)).ok());
  EXPECT_THAT(Steps(fake_),
              ElementsAre(FakeCall::kGrantVmAccess, FakeCall::kCreateComputeSystem, FakeCall::kStart,
                          FakeCall::kModify, FakeCall::kModify, FakeCall::kModify, FakeCall::kModify,
                          FakeCall::kModify,
                          // Stop: adapter 2, adapter 1, namespace, shutdown, revoke.
                          FakeCall::kModify, FakeCall::kModify, FakeCall::kModify, FakeCall::kShutDown,
                          FakeCall::kRevokeVmAccess));
  EXPECT_TRUE((*pod)->Stop(In(10), In(10)).ok()) << "Stop is idempotent";
  pod->reset();
  ExpectNothingLeft();
}

TEST_F(UvmPodTest, DestroyingARunningPodLeavesTheVmForRecovery) {
  UvmPodSpec spec = Spec();
  spec.hcn_namespace = nullptr;
  spec.endpoints.clear();
  {
    absl::StatusOr<std::unique_ptr<UvmPod>> pod = UvmPod::Create(fake_.api(), spec, In(10));
    ASSERT_TRUE(pod.ok()) << pod.status();
  }
  fake_.Drain();
  EXPECT_EQ(fake_.SystemState(kTestVm), "Running");
  EXPECT_EQ(fake_.open_system_handles(), 0);
  EXPECT_THAT(fake_.vm_access_grants(), ElementsAre(std::string(kTestVm) + "|" + kTestVmScratch));
}

TEST_F(UvmPodTest, AReopenedPodStopsLikeTheOriginal) {
  {
    absl::StatusOr<std::unique_ptr<UvmPod>> pod = UvmPod::Create(fake_.api(), Spec(), In(10));
    ASSERT_TRUE(pod.ok()) << pod.status();
  }
  const size_t before = Steps(fake_).size();
  absl::StatusOr<std::unique_ptr<UvmPod>> reopened = UvmPod::Open(fake_.api(), Spec());
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  ASSERT_TRUE((*reopened)->Stop(In(10), In(10)).ok());
  const std::vector<FakeCall> steps = Steps(fake_);
  EXPECT_THAT(std::vector<FakeCall>(steps.begin() + static_cast<long>(before), steps.end()),
              ElementsAre(FakeCall::kOpenComputeSystem, FakeCall::kModify, FakeCall::kModify, FakeCall::kModify,
                          FakeCall::kShutDown, FakeCall::kRevokeVmAccess));
  reopened->reset();
  ExpectNothingLeft();
  EXPECT_EQ(UvmPod::Open(fake_.api(), Spec()).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(UvmPodTest, BadSpecCallsNothing) {
  UvmPodSpec no_namespace = Spec();
  no_namespace.hcn_namespace = nullptr;
  UvmPodSpec bad_endpoint = Spec();
  bad_endpoint.endpoints[1].adapter_id = "nic1";
  UvmPodSpec relative = Spec();
  relative.document.scratch_vhd_path = "sandbox.vhdx";
  for (const UvmPodSpec& spec : {no_namespace, bad_endpoint, relative}) {
    absl::StatusOr<std::unique_ptr<UvmPod>> pod = UvmPod::Create(fake_.api(), spec, In(10));
    EXPECT_EQ(pod.status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_THAT(fake_.call_sequence(), IsEmpty());
}

struct Fault {
  const char* name;
  FakeCall call;
  int earlier_calls_of_that_kind;  // let these through, fail the next
  std::vector<FakeCall> undo;      // what must follow the failing call
};

void PrintTo(const Fault& f, std::ostream* os) { *os << f.name; }

class UvmPodFaultTest : public UvmPodTest, public ::testing::WithParamInterface<Fault> {};

TEST_P(UvmPodFaultTest, FailureAtEachStepUndoesEveryEarlierStepInReverse) {
  const Fault& f = GetParam();
  if (f.earlier_calls_of_that_kind > 0) {
    fake_.Inject(FakeInjection(f.call, FakeFault::kPass, 0, {}, {}, f.earlier_calls_of_that_kind));
  }
  fake_.Inject(FakeInjection(f.call, FakeFault::kFailResult, codes::kEFail, "injected"));

  absl::StatusOr<std::unique_ptr<UvmPod>> pod = UvmPod::Create(fake_.api(), Spec(), In(10));
  ASSERT_FALSE(pod.ok());
  EXPECT_THAT(pod.status().message(), HasSubstr(kTestVm));
  EXPECT_THAT(pod.status().message(), Not(HasSubstr("rolling back")));

  const std::vector<FakeCall> steps = Steps(fake_);
  // Find the failing call: the (earlier + 1)-th of its kind.
  size_t failed = 0;
  for (int seen = -1; failed < steps.size(); ++failed) {
    if (steps[failed] == f.call && ++seen == f.earlier_calls_of_that_kind) break;
  }
  ASSERT_LT(failed, steps.size());
  EXPECT_THAT(std::vector<FakeCall>(steps.begin() + static_cast<long>(failed) + 1, steps.end()),
              ElementsAreArray(f.undo));
  ExpectNothingLeft();
}

using C = FakeCall;
INSTANTIATE_TEST_SUITE_P(
    Steps, UvmPodFaultTest,
    ::testing::Values(
        Fault{"grant", C::kGrantVmAccess, 0, {}},
        // A create that failed after HCS made the system still terminates it.
        Fault{"create", C::kCreateComputeSystem, 0, {C::kTerminate, C::kRevokeVmAccess}},
        Fault{"start", C::kStart, 0, {C::kTerminate, C::kRevokeVmAccess}},
        Fault{"namespace", C::kModify, 0, {C::kTerminate, C::kRevokeVmAccess}},
        Fault{"preadd1", C::kModify, 1, {C::kModify, C::kTerminate, C::kRevokeVmAccess}},
        Fault{"add1", C::kModify, 2, {C::kModify, C::kTerminate, C::kRevokeVmAccess}},
        Fault{"preadd2", C::kModify, 3, {C::kModify, C::kModify, C::kTerminate, C::kRevokeVmAccess}},
        Fault{"add2", C::kModify, 4, {C::kModify, C::kModify, C::kTerminate, C::kRevokeVmAccess}}),
    [](const ::testing::TestParamInfo<Fault>& info) { return std::string(info.param.name); });

TEST_F(UvmPodTest, AFailedUndoIsReportedAndTheOtherUndosStillRun) {
  fake_.Inject(FakeInjection(FakeCall::kModify, FakeFault::kPass, 0, {}, {}, 1));
  fake_.Inject(FakeInjection(FakeCall::kModify, FakeFault::kFailResult, codes::kEFail, "adapter refused"));
  // The namespace removal during rollback fails too.
  fake_.Inject(FakeInjection(FakeCall::kModify, FakeFault::kFailResult, codes::kEFail, "guest gone"));
  absl::StatusOr<std::unique_ptr<UvmPod>> pod = UvmPod::Create(fake_.api(), Spec(), In(10));
  ASSERT_FALSE(pod.ok());
  EXPECT_THAT(pod.status().message(), HasSubstr("adapter refused"));
  EXPECT_THAT(pod.status().message(), HasSubstr("rolling back"));
  EXPECT_THAT(pod.status().message(), HasSubstr("guest gone"));
  ExpectNothingLeft();  // the VM was still terminated and the grant revoked
}

}  // namespace
}  // namespace silo::runtime::windows::hypervisor
