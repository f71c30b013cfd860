#include "runtime/windows/hcs/operation.h"

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
using ::testing::HasSubstr;

class OperationTest : public ::testing::Test {
 protected:
  void SetUp() override { fake_.AddSystem("c1", "silo", /*running=*/false); }
  void TearDown() override {
    fake_.Drain();
    EXPECT_EQ(fake_.open_operations(), 0) << "an operation was not closed";
    EXPECT_EQ(fake_.outstanding_strings(), 0) << "a result document was not freed";
    EXPECT_EQ(fake_.bad_closes(), 0) << "a handle was closed twice";
  }
  // Properties of c1 through a fresh handle, the simplest operation call.
  win32::Result<std::string> Props(const HcsApi& api, Deadline deadline) {
    HcsHandle sys = nullptr;
    EXPECT_EQ(api.open_compute_system(L"c1", kGenericAll, &sys), 0u);
    win32::Result<std::string> r = RunOperation(api, "HcsGetComputeSystemProperties", "c1", deadline, [&](HcsHandle op) {
      return api.get_compute_system_properties(sys, op, L"{}");
    });
    api.close_compute_system(sys);
    return r;
  }
  FakeHcs fake_;
};

TEST_F(OperationTest, ReturnsResultDocumentAndClosesOperation) {
  win32::Result<std::string> r = Props(fake_.api(), kNoDeadline);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(*r, HasSubstr("\"Id\":\"c1\""));
  EXPECT_EQ(fake_.operations_created(), 1);
  EXPECT_EQ(fake_.last_wait_timeout_ms(), kInfinite);
}

TEST_F(OperationTest, PassesRemainingTimeAsWaitTimeout) {
  ASSERT_TRUE(Props(fake_.api(), Clock::now() + std::chrono::seconds(30)).ok());
  EXPECT_GT(fake_.last_wait_timeout_ms(), 20000u);
  EXPECT_LE(fake_.last_wait_timeout_ms(), 30000u);
}

TEST_F(OperationTest, TimeoutCancelsAndCloses) {
  fake_.Inject({FakeCall::kProperties, FakeFault::kSlow});
  win32::Result<std::string> r = Props(fake_.api(), Clock::now() + std::chrono::seconds(5));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(codes::IsTimeout(r.status().hr()));
  EXPECT_THAT(r.status().message(), HasSubstr("cancelled"));
  EXPECT_EQ(fake_.cancelled_operations(), 1);
}

TEST_F(OperationTest, TimeoutWithoutCancelExportStillCloses) {
  fake_.Inject({FakeCall::kProperties, FakeFault::kSlow});
  win32::Result<std::string> r = Props(fake_.api_without_cancel(), Clock::now() + std::chrono::seconds(5));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(codes::IsTimeout(r.status().hr()));
  EXPECT_THAT(r.status().message(), HasSubstr("HcsCancelOperation unavailable"));
  EXPECT_EQ(fake_.cancelled_operations(), 0);
}

TEST_F(OperationTest, FailedResultCarriesErrorEvents) {
  fake_.Inject({FakeCall::kProperties, FakeFault::kFailResult, codes::kHcsEInvalidJson, "bad query",
                {"first event", "second event"}});
  win32::Result<std::string> r = Props(fake_.api(), kNoDeadline);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().hr(), codes::kHcsEInvalidJson);
  EXPECT_EQ(r.status().message(), "HcsGetComputeSystemProperties c1: bad query; first event; second event");
}

TEST_F(OperationTest, FailedCallReadsErrorDocument) {
  fake_.Inject({FakeCall::kProperties, FakeFault::kFailCall, codes::kHcsEAccessDenied, "", {"denied by policy"}});
  win32::Result<std::string> r = Props(fake_.api(), kNoDeadline);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(codes::IsAccessDenied(r.status().hr()));
  EXPECT_THAT(r.status().message(), HasSubstr("denied by policy"));
}

TEST_F(OperationTest, PendingCallCompletesThroughWait) {
  fake_.Inject({FakeCall::kProperties, FakeFault::kPending});
  win32::Result<std::string> r = Props(fake_.api(), kNoDeadline);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(*r, HasSubstr("\"State\":\"Created\""));
}

TEST(ErrorFromResultTest, ToleratesMissingOrBrokenDocuments) {
  EXPECT_EQ(ErrorFromResult("HcsX", "id", codes::kEFail, "").message(), "HcsX id: failed");
  EXPECT_EQ(ErrorFromResult("HcsX", "id", codes::kEFail, "{not json").message(), "HcsX id: failed");
  EXPECT_EQ(ErrorFromResult("HcsX", "", 0, R"({"ErrorEvents":[{"Message":"m"},3]})").message(), "HcsX: m");
  EXPECT_EQ(ErrorFromResult("HcsX", "", 0, "{}").hr(), codes::kEFail);
}

TEST(TimeoutMsTest, ClampsToRange) {
  EXPECT_EQ(TimeoutMs(kNoDeadline), kInfinite);
  EXPECT_EQ(TimeoutMs(Clock::now() - std::chrono::seconds(1)), 0u);
  EXPECT_LT(TimeoutMs(Clock::now() + std::chrono::hours(24 * 100)), kInfinite);
}

}  // namespace
}  // namespace silo::runtime::windows::hcs
