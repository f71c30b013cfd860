#include "network/hns/endpoint.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "network/hns/errors.h"
#include "network/hns/fake/fake_hcn.h"
#include "network/hns/namespace.h"

namespace silo::network::hns {
namespace {

using fake::FakeHcn;
using fake::FakeHcnCall;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

class EndpointTest : public ::testing::Test {
 protected:
  void SetUp() override { net_ = fake_.AddNetwork("cbr0", "L2Bridge"); }
  void TearDown() override {
    EXPECT_EQ(fake_.open_handles(), 0);
    EXPECT_EQ(fake_.outstanding_strings(), 0);
  }
  const HcnApi& api() { return fake_.api(); }
  FakeHcn fake_;
  std::string net_;
};

TEST_F(EndpointTest, EnumerateListAndGet) {
  const std::string a = fake_.AddEndpoint(net_, "a", "10.0.0.2", 24);
  const std::string b = fake_.AddEndpoint(net_, "b", "10.0.0.3", 24);
  Result<std::vector<std::string>> ids = EnumerateEndpoints(api());
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_THAT(*ids, UnorderedElementsAre(a, b));
  Result<std::vector<HostComputeEndpoint>> all = ListEndpoints(api());
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2u);
  for (const HostComputeEndpoint& ep : *all) EXPECT_EQ(ep.network_id, net_);
}

TEST_F(EndpointTest, ListSkipsEndpointsDeletedMeanwhile) {
  fake_.AddEndpoint(net_, "a", "10.0.0.2", 24);
  fake_.AddEndpoint(net_, "b", "10.0.0.3", 24);
  fake_.Inject({FakeHcnCall::kOpenEndpoint, errors::kHcnEEndpointNotFound});
  Result<std::vector<HostComputeEndpoint>> all = ListEndpoints(api());
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->size(), 1u);
  // Other failures are not skipped.
  fake_.Inject({FakeHcnCall::kQueryEndpoint, errors::kEAccessDenied});
  EXPECT_TRUE(errors::IsAccessDenied(ListEndpoints(api()).status().hr()));
}

TEST_F(EndpointTest, DeleteIsIdempotentAndDetaches) {
  Result<HostComputeNamespace> ns = CreateNamespace(api());
  ASSERT_TRUE(ns.ok());
  const std::string ep = fake_.AddEndpoint(net_, "a", "10.0.0.2", 24, ns->id);
  EXPECT_EQ(fake_.NamespaceEndpoints(ns->id).size(), 1u);
  EXPECT_TRUE(DeleteEndpoint(api(), ep).ok());
  EXPECT_TRUE(fake_.NamespaceEndpoints(ns->id).empty());
  EXPECT_TRUE(DeleteEndpoint(api(), ep).ok());
  Result<HostComputeEndpoint> gone = GetEndpoint(api(), ep);
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(errors::IsNotFound(gone.status().hr()));
  EXPECT_TRUE(DeleteNamespace(api(), ns->id).ok());
}

TEST_F(EndpointTest, FailuresCarryNamesAndCodes) {
  const std::string ep = fake_.AddEndpoint(net_, "a", "10.0.0.2", 24);
  fake_.Inject({FakeHcnCall::kDeleteEndpoint, errors::kHcnEInvalidEndpoint});
  HrStatus s = DeleteEndpoint(api(), ep);
  EXPECT_EQ(s.hr(), errors::kHcnEInvalidEndpoint);
  EXPECT_THAT(s.message(), HasSubstr("HcnDeleteEndpoint " + ep));
  EXPECT_TRUE(fake_.EndpointExists(ep));

  fake_.Inject({FakeHcnCall::kDeleteEndpoint, 0, "record with S_OK"});
  EXPECT_FALSE(DeleteEndpoint(api(), ep).ok());
  EXPECT_TRUE(fake_.EndpointExists(ep));

  fake_.Inject({FakeHcnCall::kQueryEndpoint, 0, "", std::string("[1,2]")});
  EXPECT_EQ(GetEndpoint(api(), ep).status().hr(), errors::kEUnexpected);

  fake_.Inject({FakeHcnCall::kEnumerateEndpoints, errors::kEFail});
  EXPECT_EQ(EnumerateEndpoints(api()).status().hr(), errors::kEFail);
  EXPECT_EQ(GetEndpoint(api(), "bogus").status().hr(), errors::kEInvalidArg);
}

TEST_F(EndpointTest, Networks) {
  Result<std::vector<std::string>> ids = EnumerateNetworks(api());
  ASSERT_TRUE(ids.ok());
  EXPECT_THAT(*ids, UnorderedElementsAre(net_));
  Result<HostComputeNetwork> net = GetNetwork(api(), net_);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  EXPECT_EQ(net->name, "cbr0");
  EXPECT_EQ(net->type, "L2Bridge");
  Result<HostComputeNetwork> missing = GetNetwork(api(), "00000000-0000-0000-0000-00000000abcd");
  EXPECT_EQ(missing.status().hr(), errors::kHcnENetworkNotFound);
  fake_.Inject({FakeHcnCall::kQueryNetwork, 0, "bad"});
  EXPECT_FALSE(GetNetwork(api(), net_).ok());
  fake_.Inject({FakeHcnCall::kEnumerateNetworks, errors::kENotImpl});
  EXPECT_TRUE(errors::IsUnsupported(EnumerateNetworks(api()).status().hr()));
}

}  // namespace
}  // namespace silo::network::hns
