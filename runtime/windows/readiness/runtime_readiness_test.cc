#include "runtime/windows/readiness/runtime_readiness.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/windows/readiness/fake/fake_readiness_api.h"
#include "runtime/windows/readiness/readiness_status.h"

namespace silo::runtime::windows::readiness {
namespace {

using fake::FakeReadinessApi;

TEST(RuntimeReadinessTest, HostWithTheContainersFeatureIsReady) {
  FakeReadinessApi host;
  host.InstallContainersFeature();
  RuntimeReadiness r = ProbeRuntimeReadiness(host.api());
  EXPECT_TRUE(r.ready) << r.message;
  EXPECT_TRUE(r.reason.empty());
  EXPECT_TRUE(r.message.empty());
  EXPECT_EQ(host.open_handles(), 0);
  EXPECT_EQ(host.bad_closes(), 0);
}

// A bare host (Wine, or Windows without the feature): every DLL and both
// services are named, and the message says how to fix it.
TEST(RuntimeReadinessTest, BareHostNamesEverythingMissing) {
  FakeReadinessApi host;
  RuntimeReadiness r = ProbeRuntimeReadiness(host.api());
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason, kReasonFeatureMissing);
  EXPECT_EQ(r.missing, (std::vector<std::string>{
                           "computecore.dll not found in System32", "vmcompute.dll not found in System32",
                           "computenetwork.dll not found in System32", "service vmcompute is not installed",
                           "service hns is not installed"}));
  EXPECT_NE(r.message.find("computecore.dll not found in System32; vmcompute.dll"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("Enable-WindowsOptionalFeature"), std::string::npos) << r.message;
  EXPECT_EQ(host.open_handles(), 0);
  EXPECT_EQ(host.bad_closes(), 0);
}

TEST(RuntimeReadinessTest, NamesExactlyTheOneMissingPiece) {
  FakeReadinessApi host;
  host.InstallContainersFeature();
  host.RemoveDll(L"computenetwork.dll");
  RuntimeReadiness r = ProbeRuntimeReadiness(host.api());
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason, kReasonFeatureMissing);
  EXPECT_EQ(r.missing, std::vector<std::string>{"computenetwork.dll not found in System32"});
  EXPECT_EQ(host.open_handles(), 0);
}

TEST(RuntimeReadinessTest, StoppedServiceIsNotAMissingFeature) {
  FakeReadinessApi host;
  host.InstallContainersFeature();
  host.SetService(L"hns", kServiceStopped);
  host.SetService(L"vmcompute", 2);  // SERVICE_START_PENDING
  RuntimeReadiness r = ProbeRuntimeReadiness(host.api());
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason, kReasonServiceNotRunning);
  EXPECT_EQ(r.missing, (std::vector<std::string>{"service vmcompute is not running (state 2)",
                                                 "service hns is stopped"}));
  EXPECT_EQ(r.message.find("Enable-WindowsOptionalFeature"), std::string::npos) << r.message;
  EXPECT_EQ(host.open_handles(), 0);
  EXPECT_EQ(host.bad_closes(), 0);
}

TEST(RuntimeReadinessTest, ServiceManagerFailureIsReported) {
  FakeReadinessApi host;
  host.InstallContainersFeature();
  host.FailScManager(5);  // ERROR_ACCESS_DENIED: silod not running as an administrator
  RuntimeReadiness r = ProbeRuntimeReadiness(host.api());
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.reason, kReasonServiceNotRunning);
  EXPECT_EQ(r.missing, std::vector<std::string>{"the service control manager cannot be opened (error 5)"});
  EXPECT_EQ(host.open_handles(), 0);
}

// As a handler's readiness: probed at each call, so enabling the feature
// (and rebooting) turns the node Ready without reconfiguring silod.
TEST(RuntimeReadinessTest, HandlerReadinessFollowsTheHost) {
  FakeReadinessApi host;
  std::function<absl::Status()> ready = ReadinessCheck(host.api());
  absl::Status bare = ready();
  EXPECT_EQ(bare.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(bare.message().find("WindowsContainersFeatureMissing: computecore.dll not found in System32"),
            std::string::npos)
      << bare;
  host.InstallContainersFeature();
  EXPECT_TRUE(ready().ok());
  EXPECT_EQ(host.open_handles(), 0);
}

}  // namespace
}  // namespace silo::runtime::windows::readiness
