#include "network/hns/reconcile.h"

#include <algorithm>
#include <cctype>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "network/hns/errors.h"
#include "network/hns/fake/fake_hcn.h"
#include "network/hns/guid.h"
#include "network/hns/namespace.h"

namespace silo::network::hns {
namespace {

using fake::FakeHcn;
using fake::FakeHcnCall;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

class ReconcileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    net_ = fake_.AddNetwork("cbr0", "L2Bridge");
    host_default_ = fake_.AddNamespace(kNamespaceTypeHostDefault);
  }
  void TearDown() override {
    EXPECT_EQ(fake_.open_handles(), 0);
    EXPECT_EQ(fake_.outstanding_strings(), 0);
  }
  // A Silo pod's namespace with one attached endpoint, as RunPodSandbox + CNI ADD leave it.
  std::pair<std::string, std::string> Pod(const std::string& name) {
    return PodIn(SiloNamespaceGuid(name), name, "");
  }
  // Another runtime's pod (containerd, Docker): HNS chose the GUID.
  std::pair<std::string, std::string> ForeignPod(const std::string& name, const std::string& type) {
    return PodIn(HcnGuid{}, name, type);
  }
  std::pair<std::string, std::string> PodIn(const HcnGuid& id, const std::string& name, const std::string& type) {
    Result<HostComputeNamespace> ns = CreateNamespace(fake_.api(), id, type);
    EXPECT_TRUE(ns.ok());
    const std::string ep = fake_.AddEndpoint(net_, name + "_cbr0", "10.244.0.9", 24, ns->id);
    return {ns->id, ep};
  }
  FakeHcn fake_;
  std::string net_;
  std::string host_default_;
};

TEST_F(ReconcileTest, RemovesLeakedNamespacesAndTheirEndpointsOnly) {
  auto [live_ns, live_ep] = Pod("live");
  auto [dead_ns, dead_ep] = Pod("dead");
  const std::string dangling = fake_.AddDanglingEndpoint(net_, dead_ns);
  const std::string unrelated = fake_.AddEndpoint(net_, "host-ep", "10.0.0.1", 24);

  ReconcileOptions options;
  options.owned_namespace_ids = {Upper(live_ns)};  // any spelling matches
  Result<ReconcileReport> r = Reconcile(fake_.api(), options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->removed_namespaces, ElementsAre(dead_ns));
  EXPECT_THAT(r->removed_endpoints, UnorderedElementsAre(dead_ep, dangling));
  EXPECT_THAT(r->errors, IsEmpty());

  EXPECT_TRUE(fake_.NamespaceExists(live_ns));
  EXPECT_TRUE(fake_.EndpointExists(live_ep));
  EXPECT_TRUE(fake_.NamespaceExists(host_default_)) << "the default compartment is never a candidate";
  EXPECT_TRUE(fake_.EndpointExists(unrelated));
  EXPECT_FALSE(fake_.NamespaceExists(dead_ns));
  EXPECT_FALSE(fake_.EndpointExists(dead_ep));
  EXPECT_FALSE(fake_.EndpointExists(dangling));

  // A second pass finds nothing.
  Result<ReconcileReport> again = Reconcile(fake_.api(), options);
  ASSERT_TRUE(again.ok());
  EXPECT_THAT(again->removed_namespaces, IsEmpty());
  EXPECT_THAT(again->removed_endpoints, IsEmpty());
}

TEST_F(ReconcileTest, OtherRuntimesNamespacesAndEndpointsAreNeverRemoved) {
  // containerd's and Docker's pods, of both types HNS gives pod namespaces.
  auto [containerd_ns, containerd_ep] = ForeignPod("containerd-pod", "");
  auto [docker_ns, docker_ep] = ForeignPod("docker-pod", kNamespaceTypeHost);
  auto [dead_ns, dead_ep] = Pod("dead");
  Result<ReconcileReport> r = Reconcile(fake_.api(), {});  // no live sandbox at all
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->removed_namespaces, ElementsAre(dead_ns));
  EXPECT_THAT(r->removed_endpoints, ElementsAre(dead_ep));
  EXPECT_TRUE(fake_.NamespaceExists(containerd_ns));
  EXPECT_TRUE(fake_.EndpointExists(containerd_ep));
  EXPECT_TRUE(fake_.NamespaceExists(docker_ns));
  EXPECT_TRUE(fake_.EndpointExists(docker_ep));
}

TEST_F(ReconcileTest, RecordedNamespaceWithoutTheMarkIsACandidate) {
  // A namespace Silo's records name although HNS chose its GUID (made
  // before namespaces carried the mark).
  auto [recorded, recorded_ep] = ForeignPod("recorded", "");
  auto [theirs, theirs_ep] = ForeignPod("theirs", "");
  ReconcileOptions options;
  options.created_by_silo = {Upper(recorded)};
  Result<ReconcileReport> r = Reconcile(fake_.api(), options);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->removed_namespaces, ElementsAre(recorded));
  EXPECT_FALSE(fake_.EndpointExists(recorded_ep));
  EXPECT_TRUE(fake_.NamespaceExists(theirs));
  EXPECT_TRUE(fake_.EndpointExists(theirs_ep));
}

TEST_F(ReconcileTest, MarkedNamespaceHeldByALiveSandboxStays) {
  auto [live_ns, live_ep] = Pod("live");
  ReconcileOptions options;
  options.owned_namespace_ids = {live_ns};
  options.created_by_silo = {live_ns};
  Result<ReconcileReport> r = Reconcile(fake_.api(), options);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->removed_namespaces, IsEmpty());
  EXPECT_TRUE(fake_.EndpointExists(live_ep));
}

TEST_F(ReconcileTest, NothingOwnedNothingLeaked) {
  Result<ReconcileReport> r = Reconcile(fake_.api(), {});
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->removed_namespaces, IsEmpty());
  EXPECT_EQ(fake_.calls(FakeHcnCall::kEnumerateEndpoints), 0) << "no endpoint scan without a leak";
}

TEST_F(ReconcileTest, EnumerateFailureStopsThePass) {
  Pod("dead");
  fake_.Inject({FakeHcnCall::kEnumerateNamespaces, errors::kEAccessDenied});
  Result<ReconcileReport> r = Reconcile(fake_.api(), {});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(errors::IsAccessDenied(r.status().hr()));
  EXPECT_EQ(fake_.calls(FakeHcnCall::kDeleteNamespace), 0);
}

TEST_F(ReconcileTest, PerObjectFailuresAreCollectedAndRetriedNextPass) {
  auto [a_ns, a_ep] = Pod("a");
  auto [b_ns, b_ep] = Pod("b");
  fake_.Inject({FakeHcnCall::kDeleteEndpoint, errors::kEFail});
  fake_.Inject({FakeHcnCall::kDeleteNamespace, 0, "busy"});  // S_OK with a record
  Result<ReconcileReport> r = Reconcile(fake_.api(), {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->errors.size(), 2u);
  EXPECT_EQ(r->removed_endpoints.size(), 1u);
  EXPECT_EQ(r->removed_namespaces.size(), 1u);

  Result<ReconcileReport> second = Reconcile(fake_.api(), {});
  ASSERT_TRUE(second.ok());
  EXPECT_THAT(second->errors, IsEmpty());
  EXPECT_FALSE(fake_.NamespaceExists(a_ns));
  EXPECT_FALSE(fake_.NamespaceExists(b_ns));
  EXPECT_FALSE(fake_.EndpointExists(a_ep));
  EXPECT_FALSE(fake_.EndpointExists(b_ep));
}

TEST_F(ReconcileTest, UnreadableNamespaceIsSkippedAndReported) {
  auto [ns, ep] = Pod("x");
  fake_.Inject({FakeHcnCall::kQueryNamespace, errors::kEAccessDenied});
  ReconcileOptions options;
  options.created_by_silo = std::set<std::string>{ns};  // so the failing query is this namespace's
  Result<ReconcileReport> r = Reconcile(fake_.api(), options);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->errors.size(), 1u);
  EXPECT_TRUE(fake_.NamespaceExists(ns));
  EXPECT_TRUE(fake_.EndpointExists(ep));
}

TEST_F(ReconcileTest, NamespaceVanishingMidPassIsNotAnError) {
  auto [ns, ep] = Pod("x");
  fake_.Inject({FakeHcnCall::kOpenNamespace, errors::kErrorNotFoundHr});
  ReconcileOptions options;
  options.created_by_silo = std::set<std::string>{ns};
  Result<ReconcileReport> r = Reconcile(fake_.api(), options);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->errors, IsEmpty());
  EXPECT_THAT(r->removed_namespaces, IsEmpty()) << "it looked gone, so nothing was deleted";
}

TEST_F(ReconcileTest, EndpointScanFailureStillRemovesListedEndpoints) {
  auto [ns, ep] = Pod("x");
  fake_.Inject({FakeHcnCall::kEnumerateEndpoints, errors::kEFail});
  Result<ReconcileReport> r = Reconcile(fake_.api(), {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->errors.size(), 1u);
  EXPECT_THAT(r->removed_endpoints, ElementsAre(ep));
  EXPECT_THAT(r->removed_namespaces, ElementsAre(ns));
}

}  // namespace
}  // namespace silo::network::hns
