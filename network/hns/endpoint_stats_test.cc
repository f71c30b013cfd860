// Endpoint statistics through HNS v1's HNSCall, against the fake: the call
// hcsshim makes, the envelope it parses, and every response freed.
#include "network/hns/endpoint_stats.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "network/hns/errors.h"
#include "network/hns/fake/fake_hcn.h"
#include "network/hns/guid.h"

namespace silo::network::hns {
namespace {

using fake::FakeHcn;
using fake::FakeHcnCall;
using fake::FakeHcnInjection;
using ::testing::HasSubstr;

class EndpointStatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    net_ = fake_.AddNetwork("cbr0", "L2Bridge");
    ns_ = fake_.AddNamespace("Host");
  }
  void TearDown() override {
    EXPECT_EQ(fake_.open_handles(), 0);
    EXPECT_EQ(fake_.outstanding_strings(), 0);
  }
  const HcnApi& api() { return fake_.api(); }
  FakeHcn fake_;
  std::string net_, ns_;
};

TEST_F(EndpointStatsTest, EndpointStatisticsComeFromHnsCallEndpointstats) {
  const std::string ep = fake_.AddEndpoint(net_, "pod1_cbr0", "10.0.0.2", 24, ns_);
  fake_.SetEndpointStats(ep, fake::EndpointCounters(1000, 2000, 10, 20, 3, 4));
  Result<EndpointStats> stats = GetEndpointStats(api(), ep);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->bytes_received, 1000u);
  EXPECT_EQ(stats->bytes_sent, 2000u);
  EXPECT_EQ(stats->packets_received, 10u);
  EXPECT_EQ(stats->packets_sent, 20u);
  EXPECT_EQ(stats->dropped_packets_incoming, 3u);
  EXPECT_EQ(stats->dropped_packets_outgoing, 4u);
  EXPECT_EQ(CanonicalGuid(stats->endpoint_id), ep);
  EXPECT_EQ(fake_.calls(FakeHcnCall::kHnsCall), 1);
}

TEST_F(EndpointStatsTest, PodNamespaceStatisticsCoverEveryAttachedEndpoint) {
  const std::string a = fake_.AddEndpoint(net_, "a", "10.0.0.2", 24, ns_);
  const std::string b = fake_.AddEndpoint(net_, "b", "10.0.0.3", 24, ns_);
  const std::string gone = fake_.AddEndpoint(net_, "c", "10.0.0.4", 24, ns_);
  (void)fake_.AddEndpoint(net_, "other-pod", "10.0.0.5", 24);
  fake_.SetEndpointStats(a, fake::EndpointCounters(1, 0, 0, 0, 0, 0));
  fake_.SetEndpointStats(b, fake::EndpointCounters(2, 0, 0, 0, 0, 0));
  fake_.RemoveEndpointBehindOurBack(gone);  // still listed by the namespace
  Result<NamespaceEndpointStats> stats = GetNamespaceEndpointStats(api(), ns_);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  ASSERT_EQ(stats->endpoints.size(), 2u);
  EXPECT_EQ(CanonicalGuid(stats->endpoints[0].endpoint_id), a);
  EXPECT_EQ(stats->endpoints[0].bytes_received, 1u);
  EXPECT_EQ(CanonicalGuid(stats->endpoints[1].endpoint_id), b);
  ASSERT_EQ(stats->skipped.size(), 1u);
  EXPECT_THAT(stats->skipped[0].message(), HasSubstr("Element not found"));
  EXPECT_THAT(stats->skipped[0].message(), HasSubstr(gone));
}

TEST_F(EndpointStatsTest, MissingNamespaceFailsTheWholeRead) {
  Result<NamespaceEndpointStats> stats = GetNamespaceEndpointStats(api(), "11111111-2222-4333-8444-555555555555");
  ASSERT_FALSE(stats.ok());
  EXPECT_TRUE(errors::IsNotFound(stats.status().hr())) << stats.status().ToString();
}

TEST_F(EndpointStatsTest, UnsuccessfulEnvelopeCarriesHnsErrorText) {
  const std::string ep = fake_.AddEndpoint(net_, "a", "10.0.0.2", 24, ns_);
  fake_.Inject(FakeHcnInjection(FakeHcnCall::kHnsCall, 0, {}, R"({"Success":false,"Error":"vSwitch port gone"})"));
  Result<EndpointStats> stats = GetEndpointStats(api(), ep);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().hr(), errors::kEFail);
  EXPECT_THAT(stats.status().message(), HasSubstr("vSwitch port gone"));
}

TEST_F(EndpointStatsTest, FailedCallIsAnErrorAndItsResponseIsFreed) {
  const std::string ep = fake_.AddEndpoint(net_, "a", "10.0.0.2", 24, ns_);
  fake_.Inject(FakeHcnInjection(FakeHcnCall::kHnsCall, errors::kEAccessDenied));
  Result<EndpointStats> stats = GetEndpointStats(api(), ep);
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().hr(), errors::kEAccessDenied);
  EXPECT_THAT(stats.status().message(), HasSubstr("/endpointstats/" + ep));
}

TEST_F(EndpointStatsTest, MalformedEnvelopesAreRefused) {
  const std::string id = "11111111-2222-4333-8444-555555555555";
  for (const char* bad : {"not json", R"({"Output":{}})", R"({"Success":true,"Output":[]})",
                          R"({"Success":true,"Output":""})",
                          R"({"Success":true,"Output":{"BytesSent":-1}})",
                          R"({"Success":true,"Output":{"BytesReceived":"12"}})",
                          R"({"Success":true,"Output":{"EndpointId":7}})"}) {
    Result<EndpointStats> stats = ParseEndpointStatsResponse(id, bad);
    ASSERT_FALSE(stats.ok()) << bad;
    EXPECT_EQ(stats.status().hr(), errors::kEUnexpected) << bad;
  }
  // Absent counters are zero, as hcsshim's decoding leaves them.
  Result<EndpointStats> sparse = ParseEndpointStatsResponse(id, R"({"Success":true,"Output":{"BytesSent":5}})");
  ASSERT_TRUE(sparse.ok()) << sparse.status().ToString();
  EXPECT_EQ(sparse->bytes_sent, 5u);
  EXPECT_EQ(sparse->bytes_received, 0u);
  EXPECT_EQ(sparse->endpoint_id, id);
}

TEST_F(EndpointStatsTest, SuccessWithoutOutputIsZeroCounters) {
  const std::string id = "11111111-2222-4333-8444-555555555555";
  for (const char* empty : {R"({"Success":true})", R"({"Success":true,"Output":null})",
                            R"({"Success":true,"Output":{}})"}) {
    Result<EndpointStats> stats = ParseEndpointStatsResponse(id, empty);
    ASSERT_TRUE(stats.ok()) << empty << ": " << stats.status().ToString();
    EXPECT_EQ(stats->endpoint_id, id) << empty;
    EXPECT_EQ(stats->bytes_received + stats->bytes_sent + stats->packets_received + stats->packets_sent +
                  stats->dropped_packets_incoming + stats->dropped_packets_outgoing,
              0u)
        << empty;
    EXPECT_EQ(stats->instance_id, "") << empty;
  }
}

TEST_F(EndpointStatsTest, EndpointIdsMustBeGuidsBeforeTheyJoinThePath) {
  Result<EndpointStats> stats = GetEndpointStats(api(), "../networks");
  ASSERT_FALSE(stats.ok());
  EXPECT_EQ(stats.status().hr(), errors::kEInvalidArg);
  EXPECT_EQ(fake_.calls(FakeHcnCall::kHnsCall), 0);
}

TEST_F(EndpointStatsTest, WithoutHnsCallStatisticsAreUnsupported) {
  HcnApi without = api();
  without.hns_call = nullptr;
  Result<EndpointStats> stats = GetEndpointStats(without, "11111111-2222-4333-8444-555555555555");
  ASSERT_FALSE(stats.ok());
  EXPECT_TRUE(errors::IsUnsupported(stats.status().hr())) << stats.status().ToString();
}

}  // namespace
}  // namespace silo::network::hns
