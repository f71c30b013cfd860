#include "runtime/handler/registry.h"

#include "cri/api/cri.h"
#include "gtest/gtest.h"
#include "runtime/fake/fake_handler.h"

namespace silo::runtime::handler {
namespace {

using fake::FakeFor;
using fake::RegisterFakeType;

bool HostProcess(const ::runtime::v1::PodSandboxConfig& c) {
  return c.windows().security_context().host_process();
}

TEST(HandlerRegistryTest, ATypeThisSilodDoesNotBuildIsRefusedNamingTheBuiltOnes) {
  HandlerRegistry r;
  RegisterFakeType(r, "runc");
  absl::Status s = r.Configure({{"", "runc", {}}, {"vm", "hypervisor", {}}}, "");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("runtime.handlers[1].type"), std::string::npos) << s;
  EXPECT_NE(s.message().find("\"hypervisor\""), std::string::npos) << s;
  EXPECT_NE(s.message().find("types: runc"), std::string::npos) << s;
}

TEST(HandlerRegistryTest, DuplicateNamesAndAMissingDefaultAreRefused) {
  HandlerRegistry r;
  RegisterFakeType(r, "runc");
  absl::Status dup = r.Configure({{"a", "runc", {}}, {"a", "runc", {}}}, "a");
  EXPECT_NE(dup.message().find("runtime.handlers[1].name: duplicate handler \"a\""), std::string::npos) << dup;
  absl::Status nodefault = r.Configure({{"a", "runc", {}}}, "b");
  EXPECT_NE(nodefault.message().find("runtime.default_handler"), std::string::npos) << nodefault;
  EXPECT_EQ(r.Configure({}, "").code(), absl::StatusCode::kInvalidArgument);
}

TEST(HandlerRegistryTest, AFactoryErrorNamesTheHandler) {
  HandlerRegistry r;
  r.AddType({"broken", [](const HandlerSpec&) -> absl::StatusOr<std::unique_ptr<RuntimeHandler>> {
               return absl::FailedPreconditionError("no runtime binary");
             }});
  absl::Status s = r.Configure({{"x", "broken", {}}}, "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("handler \"x\""), std::string::npos) << s;
  EXPECT_NE(s.message().find("no runtime binary"), std::string::npos) << s;
}

TEST(HandlerRegistryTest, EmptyNameIsTheDefaultAndUnknownNamesListTheConfiguredOnes) {
  HandlerRegistry r;
  RegisterFakeType(r, "runc");
  ASSERT_TRUE(r.Configure({{"runc", "runc", {}}, {"fast", "runc", {}}}, "runc").ok());
  ::runtime::v1::PodSandboxConfig pod;
  EXPECT_EQ(r.Resolve("", pod)->name, "runc");
  EXPECT_EQ(r.Resolve("fast", pod)->name, "fast");
  absl::Status unknown = r.Resolve("kata", pod).status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.message().find("\"kata\" is not configured (configured: \"runc\", \"fast\")"), std::string::npos)
      << unknown;
}

// kubelet never names a HostProcess handler: it flags the pod and sends it
// to the default one. The flag routes it; the record keeps where it went.
TEST(HandlerRegistryTest, PodFlagsRouteToTheTypeThatClaimsThem) {
  HandlerRegistry r;
  RegisterFakeType(r, "process");
  RegisterFakeType(r, "hostprocess", nullptr, HostProcess);
  ASSERT_TRUE(r.Configure({{"runhcs-wcow-process", "process", {}}, {"hpc", "hostprocess", {}}}, "runhcs-wcow-process")
                  .ok());
  ::runtime::v1::PodSandboxConfig pod;
  EXPECT_EQ(r.Resolve("", pod)->name, "runhcs-wcow-process");
  pod.mutable_windows()->mutable_security_context()->set_host_process(true);
  absl::StatusOr<HandlerSpec> routed = r.Resolve("", pod);
  ASSERT_TRUE(routed.ok()) << routed.status();
  EXPECT_EQ(routed->name, "hpc");
  EXPECT_EQ(routed->type, "hostprocess");
  EXPECT_EQ(r.Resolve("runhcs-wcow-process", pod)->name, "hpc");

  HandlerRegistry without;
  RegisterFakeType(without, "process");
  RegisterFakeType(without, "hostprocess", nullptr, HostProcess);
  ASSERT_TRUE(without.Configure({{"p", "process", {}}}, "p").ok());
  absl::Status none = without.Resolve("", pod).status();
  EXPECT_EQ(none.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(none.message().find("type \"hostprocess\""), std::string::npos) << none;
}

TEST(HandlerRegistryTest, RecordsFindTheirHandlerAlsoAfterItLeftTheConfig) {
  fake::FakeMachine machine;
  HandlerRegistry r;
  RegisterFakeType(r, "runc", &machine);
  ASSERT_TRUE(r.Configure({{"a", "runc", {}}, {"b", "runc", {}}}, "a").ok());
  EXPECT_EQ(*r.For("", ""), &r.Default());
  EXPECT_EQ(*r.For("b", "runc"), &r.At(1));
  EXPECT_EQ(*r.For("b", ""), &r.At(1));

  // "gone" left the config: an instance of its type serves its records, and
  // the same one every time.
  absl::StatusOr<RuntimeHandler*> gone = r.For("gone", "runc");
  ASSERT_TRUE(gone.ok()) << gone.status();
  EXPECT_EQ(*r.For("gone", "runc"), *gone);
  EXPECT_NE(*gone, &r.At(0));
  EXPECT_EQ(&FakeFor(r, "gone", "runc").Containers(), &machine.PartsFor("gone")->containers);

  EXPECT_EQ(r.For("gone", "").status().code(), absl::StatusCode::kFailedPrecondition);
  absl::Status unbuilt = r.For("vm", "hypervisor").status();
  EXPECT_EQ(unbuilt.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(unbuilt.message().find("\"hypervisor\""), std::string::npos) << unbuilt;
}

TEST(HandlerRegistryTest, RecordsWithoutATypeAreAdoptedByNameOrByTheOnlyType) {
  HandlerRegistry one;
  RegisterFakeType(one, "runc");
  ASSERT_TRUE(one.Configure({{"runc", "runc", {}}, {"debug", "runc", {}}}, "runc").ok());
  EXPECT_EQ(one.Adopt("")->name, "runc");
  EXPECT_EQ(one.Adopt("debug")->name, "debug");
  absl::StatusOr<HandlerSpec> gone = one.Adopt("removed");
  ASSERT_TRUE(gone.ok()) << gone.status();
  EXPECT_EQ(gone->name, "removed");
  EXPECT_EQ(gone->type, "runc");

  HandlerRegistry two;
  RegisterFakeType(two, "process");
  RegisterFakeType(two, "hostprocess");
  ASSERT_TRUE(two.Configure({{"p", "process", {}}}, "p").ok());
  EXPECT_EQ(two.Adopt("removed").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace silo::runtime::handler
