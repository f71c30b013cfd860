#include "network/hns/namespace.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "network/hns/endpoint.h"
#include "network/hns/errors.h"
#include "network/hns/fake/fake_hcn.h"
#include "network/hns/guid.h"
#include "nlohmann/json.hpp"

namespace silo::network::hns {
namespace {

using fake::FakeHcn;
using fake::FakeHcnCall;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class NamespaceTest : public ::testing::Test {
 protected:
  void SetUp() override { net_ = fake_.AddNetwork("cbr0", "L2Bridge"); }
  void TearDown() override {
    EXPECT_EQ(fake_.open_handles(), 0) << "a handle was not closed";
    EXPECT_EQ(fake_.outstanding_strings(), 0) << "a returned string was not freed";
  }
  const HcnApi& api() { return fake_.api(); }
  std::string Create() {
    Result<HostComputeNamespace> ns = CreateNamespace(api());
    EXPECT_TRUE(ns.ok()) << ns.status().ToString();
    return ns.ok() ? ns->id : std::string();
  }
  FakeHcn fake_;
  std::string net_;
};

TEST_F(NamespaceTest, FullPodLifecycle) {
  // RunPodSandbox: create the namespace; its GUID is the pod's netns.
  Result<HostComputeNamespace> ns = CreateNamespace(api());
  ASSERT_TRUE(ns.ok()) << ns.status().ToString();
  EXPECT_EQ(nlohmann::json::parse(fake_.LastCreateSettings()),
            nlohmann::json::parse(R"({"SchemaVersion":{"Major":2,"Minor":0}})"));
  EXPECT_EQ(CanonicalGuid(ns->id), ns->id) << "ids come back canonical";
  EXPECT_EQ(ns->type, "Host");
  EXPECT_GT(ns->namespace_id, 1u);
  EXPECT_TRUE(fake_.NamespaceExists(ns->id));

  // CNI ADD: the plugin creates an endpoint and attaches it.
  const std::string ep = fake_.AddEndpoint(net_, "sandbox1_cbr0", "10.244.1.5", 24);
  ASSERT_TRUE(AddNamespaceEndpoint(api(), ns->id, ep).ok());
  EXPECT_EQ(nlohmann::json::parse(fake_.LastModifySettings()),
            nlohmann::json::parse(R"({"ResourceType":"Endpoint","RequestType":"Add","Settings":{"EndpointId":")" +
                                  ep + R"("}})"));
  Result<std::vector<std::string>> eps = NamespaceEndpointIds(api(), ns->id);
  ASSERT_TRUE(eps.ok()) << eps.status().ToString();
  EXPECT_THAT(*eps, ElementsAre(ep));
  Result<HostComputeEndpoint> doc = GetEndpoint(api(), ep);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ(doc->namespace_id, ns->id);
  EXPECT_EQ(doc->ip_configurations.at(0).ip_address, "10.244.1.5");

  // Teardown: CNI DEL detaches and deletes the endpoint, then the namespace goes.
  ASSERT_TRUE(RemoveNamespaceEndpoint(api(), ns->id, ep).ok());
  EXPECT_THAT(*NamespaceEndpointIds(api(), ns->id), IsEmpty());
  ASSERT_TRUE(DeleteEndpoint(api(), ep).ok());
  ASSERT_TRUE(DeleteNamespace(api(), ns->id).ok());
  EXPECT_FALSE(fake_.NamespaceExists(ns->id));
  EXPECT_FALSE(fake_.EndpointExists(ep));
}

// A namespace HNS gave another id than the one asked for could not be found
// by the id Silo derives later: it is deleted again and the create fails,
// leaving nothing behind.
TEST_F(NamespaceTest, ANamespaceWhoseIdHnsDidNotHonourIsDeletedAgain) {
  fake_.set_ignore_requested_namespace_ids(true);
  const HcnGuid asked = SiloNamespaceGuid("sbx");
  Result<HostComputeNamespace> ns = CreateNamespace(api(), asked);
  ASSERT_FALSE(ns.ok());
  EXPECT_THAT(ns.status().message(), HasSubstr("asked for namespace " + FormatGuid(asked)));
  EXPECT_THAT(fake_.NamespaceIds(), IsEmpty());
}

TEST_F(NamespaceTest, CreateWithHostType) {
  Result<HostComputeNamespace> ns = CreateNamespace(api(), {}, kNamespaceTypeHost);
  ASSERT_TRUE(ns.ok());
  EXPECT_THAT(fake_.LastCreateSettings(), HasSubstr("\"Type\":\"Host\""));
}

TEST_F(NamespaceTest, DuplicateDeletesSucceed) {
  const std::string id = Create();
  EXPECT_TRUE(DeleteNamespace(api(), id).ok());
  EXPECT_TRUE(DeleteNamespace(api(), id).ok());
  EXPECT_TRUE(DeleteNamespace(api(), "00000000-0000-0000-0000-00000000abcd").ok());
  EXPECT_EQ(fake_.calls(FakeHcnCall::kDeleteNamespace), 3);
}

TEST_F(NamespaceTest, GetMissingIsNotFound) {
  Result<HostComputeNamespace> ns = GetNamespace(api(), "00000000-0000-0000-0000-00000000abcd");
  ASSERT_FALSE(ns.ok());
  EXPECT_TRUE(errors::IsNotFound(ns.status().hr()));
  EXPECT_THAT(ns.status().message(), HasSubstr("HcnOpenNamespace 00000000-0000-0000-0000-00000000abcd"));
}

TEST_F(NamespaceTest, InvalidIdsAreRejectedBeforeCallingHcn) {
  EXPECT_EQ(GetNamespace(api(), "not-a-guid").status().hr(), errors::kEInvalidArg);
  EXPECT_EQ(DeleteNamespace(api(), "").hr(), errors::kEInvalidArg);
  const std::string id = Create();
  EXPECT_EQ(AddNamespaceEndpoint(api(), id, "nope").hr(), errors::kEInvalidArg);
  EXPECT_EQ(AddNamespaceEndpoint(api(), "nope", id).hr(), errors::kEInvalidArg);
  EXPECT_EQ(fake_.calls(FakeHcnCall::kOpenNamespace), 0);
  EXPECT_EQ(fake_.calls(FakeHcnCall::kDeleteNamespace), 0);
}

TEST_F(NamespaceTest, EnumerateReturnsCanonicalIds) {
  const std::string a = Create();
  const std::string b = Create();
  Result<std::vector<std::string>> ids = EnumerateNamespaces(api());
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_THAT(*ids, UnorderedElementsAre(a, b));
}

TEST_F(NamespaceTest, AttachErrors) {
  const std::string id = Create();
  const std::string ep = fake_.AddEndpoint(net_, "e", "10.0.0.2", 24);
  // Unknown endpoint.
  HrStatus s = AddNamespaceEndpoint(api(), id, "00000000-0000-0000-0000-00000000abcd");
  EXPECT_TRUE(errors::IsNotFound(s.hr())) << s.ToString();
  // Double attach.
  ASSERT_TRUE(AddNamespaceEndpoint(api(), id, ep).ok());
  s = AddNamespaceEndpoint(api(), id, ep);
  EXPECT_TRUE(errors::IsAlreadyExists(s.hr())) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("HcnModifyNamespace " + id + " Add endpoint " + ep));
  // Detach twice.
  ASSERT_TRUE(RemoveNamespaceEndpoint(api(), id, ep).ok());
  EXPECT_TRUE(errors::IsNotFound(RemoveNamespaceEndpoint(api(), id, ep).hr()));
  // Namespace gone.
  ASSERT_TRUE(DeleteNamespace(api(), id).ok());
  EXPECT_TRUE(errors::IsNotFound(AddNamespaceEndpoint(api(), id, ep).hr()));
}

// Every call a namespace operation makes, failing with a plain HRESULT.
struct InjectedCase {
  const char* name;
  FakeHcnCall call;
};
void PrintTo(const InjectedCase& c, std::ostream* os) { *os << c.name; }

class NamespaceFaultTest : public NamespaceTest, public ::testing::WithParamInterface<InjectedCase> {};

TEST_P(NamespaceFaultTest, FailedHresultPropagatesAndReleasesEverything) {
  const std::string id = Create();
  const std::string ep = fake_.AddEndpoint(net_, "e", "10.0.0.2", 24);
  fake_.Inject({GetParam().call, errors::kEAccessDenied, R"({"Error":-2147024891,"ErrorMessage":"denied"})"});
  HrStatus s;
  switch (GetParam().call) {
    case FakeHcnCall::kCreateNamespace: s = CreateNamespace(api()).status(); break;
    case FakeHcnCall::kOpenNamespace:
    case FakeHcnCall::kQueryNamespace: s = GetNamespace(api(), id).status(); break;
    case FakeHcnCall::kModifyNamespace: s = AddNamespaceEndpoint(api(), id, ep); break;
    case FakeHcnCall::kDeleteNamespace: s = DeleteNamespace(api(), id); break;
    case FakeHcnCall::kEnumerateNamespaces: s = EnumerateNamespaces(api()).status(); break;
    default: FAIL();
  }
  EXPECT_EQ(s.hr(), errors::kEAccessDenied) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("denied"));
}

TEST_P(NamespaceFaultTest, SOkWithErrorRecordIsAFailure) {
  const std::string id = Create();
  const std::string ep = fake_.AddEndpoint(net_, "e", "10.0.0.2", 24);
  fake_.Inject({GetParam().call, 0, "HNS is unhappy"});
  HrStatus s;
  switch (GetParam().call) {
    case FakeHcnCall::kCreateNamespace: s = CreateNamespace(api()).status(); break;
    case FakeHcnCall::kOpenNamespace:
    case FakeHcnCall::kQueryNamespace: s = GetNamespace(api(), id).status(); break;
    case FakeHcnCall::kModifyNamespace: s = AddNamespaceEndpoint(api(), id, ep); break;
    case FakeHcnCall::kDeleteNamespace: s = DeleteNamespace(api(), id); break;
    case FakeHcnCall::kEnumerateNamespaces: s = EnumerateNamespaces(api()).status(); break;
    default: FAIL();
  }
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.hr(), errors::kEFail);
  EXPECT_THAT(s.message(), HasSubstr("HNS is unhappy"));
  if (GetParam().call == FakeHcnCall::kDeleteNamespace) {
    EXPECT_TRUE(fake_.NamespaceExists(id)) << "the action is not performed";
  }
  if (GetParam().call == FakeHcnCall::kModifyNamespace) {
    EXPECT_THAT(fake_.NamespaceEndpoints(id), IsEmpty()) << "the action is not performed";
  }
}

INSTANTIATE_TEST_SUITE_P(AllCalls, NamespaceFaultTest,
                         ::testing::Values(InjectedCase{"Create", FakeHcnCall::kCreateNamespace},
                                           InjectedCase{"Open", FakeHcnCall::kOpenNamespace},
                                           InjectedCase{"Query", FakeHcnCall::kQueryNamespace},
                                           InjectedCase{"Modify", FakeHcnCall::kModifyNamespace},
                                           InjectedCase{"Delete", FakeHcnCall::kDeleteNamespace},
                                           InjectedCase{"Enumerate", FakeHcnCall::kEnumerateNamespaces}),
                         [](const ::testing::TestParamInfo<InjectedCase>& info) { return info.param.name; });

TEST_F(NamespaceTest, MalformedOutputsAreErrors) {
  const std::string id = Create();
  fake_.Inject({FakeHcnCall::kQueryNamespace, 0, "", std::string("{oops")});
  Result<HostComputeNamespace> ns = GetNamespace(api(), id);
  ASSERT_FALSE(ns.ok());
  EXPECT_EQ(ns.status().hr(), errors::kEUnexpected);
  EXPECT_THAT(ns.status().message(), HasSubstr("namespace " + id));

  fake_.Inject({FakeHcnCall::kEnumerateNamespaces, 0, "", std::string(R"(["x"])")});
  Result<std::vector<std::string>> ids = EnumerateNamespaces(api());
  ASSERT_FALSE(ids.ok());
  EXPECT_THAT(ids.status().message(), HasSubstr("HcnEnumerateNamespaces"));

  // Create succeeds but the document has no id: reported, not returned as a namespace.
  fake_.Inject({FakeHcnCall::kQueryNamespace, 0, "", std::string(R"({"Type":"Host"})")});
  EXPECT_EQ(CreateNamespace(api()).status().hr(), errors::kEUnexpected);
}

TEST_F(NamespaceTest, DeleteNotFoundViaEitherCodeIsSuccess) {
  fake_.Inject({FakeHcnCall::kDeleteNamespace, errors::kErrorNotFoundHr});
  EXPECT_TRUE(DeleteNamespace(api(), "00000000-0000-0000-0000-00000000abcd").ok());
  fake_.Inject({FakeHcnCall::kDeleteNamespace, errors::kHcnEEndpointNotFound});
  EXPECT_TRUE(DeleteNamespace(api(), "00000000-0000-0000-0000-00000000abcd").ok());
  // Any other failure is not swallowed.
  fake_.Inject({FakeHcnCall::kDeleteNamespace, errors::kHcnEInvalidJson});
  EXPECT_TRUE(errors::IsInvalidJson(DeleteNamespace(api(), "00000000-0000-0000-0000-00000000abcd").hr()));
}

}  // namespace
}  // namespace silo::network::hns
