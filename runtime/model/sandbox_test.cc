#include "runtime/model/sandbox.h"

#include "gtest/gtest.h"

namespace silo::runtime::model {
namespace {

using S = SandboxState;

SandboxRecord FullSandbox() {
  SandboxRecord r;
  r.id = std::string(64, 'a');
  r.metadata = {"web", "default", "uid-1", 2};
  r.runtime_handler = "runhcs-wcow-process";
  r.handler_type = "process";
  r.labels = {{"app", "web"}, {"tier", "front"}};
  r.annotations = {{"note", "ünïcode ok"}};
  r.created_at_ns = 1700000000123456789;
  r.state = S::kReady;
  r.netns_path = "/run/netns/silo-aaaa";
  r.ip = "10.88.0.5";
  r.additional_ips = {"fd00::5"};
  r.cgroup_parent = "/kubepods/besteffort";
  r.cgroup_path = "/kubepods/besteffort/podaaaa";
  r.hostname = "web-0";
  r.log_directory = "/var/log/pods/default_web_uid-1";
  ::runtime::v1::PodSandboxConfig config;
  config.mutable_metadata()->set_name("web");
  config.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(
      ::runtime::v1::NODE);
  r.SetConfig(config);
  r.AddStep("netns", "/run/netns/silo-aaaa", 11);
  r.AddStep("cni_attach", "10.88.0.5", 12);
  r.platform_data = {{"pause_id", "abc"}, {"compartment", 7}};
  return r;
}

TEST(SandboxStateTest, AllowedTransitionsFollowTheDiagram) {
  EXPECT_TRUE(ValidateSandboxTransition(S::kCreating, S::kReady).ok());
  EXPECT_TRUE(ValidateSandboxTransition(S::kCreating, S::kNotReady).ok());
  EXPECT_TRUE(ValidateSandboxTransition(S::kCreating, S::kUnknown).ok());
  EXPECT_TRUE(ValidateSandboxTransition(S::kReady, S::kNotReady).ok());
  EXPECT_TRUE(ValidateSandboxTransition(S::kReady, S::kUnknown).ok());
  EXPECT_TRUE(ValidateSandboxTransition(S::kUnknown, S::kNotReady).ok());
  for (S s : {S::kCreating, S::kReady, S::kNotReady, S::kUnknown}) {
    EXPECT_TRUE(ValidateSandboxTransition(s, s).ok()) << SandboxStateName(s);
  }
}

TEST(SandboxStateTest, ForbiddenTransitionsNameBothStates) {
  absl::Status s = ValidateSandboxTransition(S::kNotReady, S::kReady);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("NOTREADY"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("READY"), absl::string_view::npos) << s;
  EXPECT_FALSE(ValidateSandboxTransition(S::kReady, S::kCreating).ok());
  EXPECT_FALSE(ValidateSandboxTransition(S::kUnknown, S::kReady).ok());
  EXPECT_FALSE(ValidateSandboxTransition(S::kNotReady, S::kCreating).ok());
}

TEST(SandboxStateTest, RemovalOnlyWhenNotReady) {
  EXPECT_TRUE(ValidateSandboxRemoval(S::kNotReady).ok());
  EXPECT_EQ(ValidateSandboxRemoval(S::kReady).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(ValidateSandboxRemoval(S::kCreating).ok());
}

TEST(SandboxStateTest, CriStateAndNames) {
  EXPECT_EQ(ToCri(S::kReady), ::runtime::v1::SANDBOX_READY);
  EXPECT_EQ(ToCri(S::kCreating), ::runtime::v1::SANDBOX_NOTREADY);
  EXPECT_EQ(ToCri(S::kUnknown), ::runtime::v1::SANDBOX_NOTREADY);
  for (S s : {S::kCreating, S::kReady, S::kNotReady, S::kUnknown}) {
    EXPECT_EQ(*ParseSandboxState(SandboxStateName(s)), s);
  }
  EXPECT_EQ(ParseSandboxState("BOGUS").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SandboxRecordTest, JsonRoundTripKeepsEveryField) {
  SandboxRecord r = FullSandbox();
  absl::StatusOr<SandboxRecord> back = SandboxFromJsonString(SandboxToJsonString(r));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, r);
  // Spot-check a few so a broken operator== cannot hide a loss.
  EXPECT_EQ(back->metadata.attempt, 2u);
  EXPECT_EQ(back->additional_ips, std::vector<std::string>{"fd00::5"});
  EXPECT_EQ(back->steps.size(), 2u);
  EXPECT_EQ(back->platform_data["compartment"], 7);
}

TEST(SandboxRecordTest, ConfigEchoesNamespaceOptions) {
  absl::StatusOr<SandboxRecord> back = SandboxFromJsonString(SandboxToJsonString(FullSandbox()));
  ASSERT_TRUE(back.ok()) << back.status();
  absl::StatusOr<::runtime::v1::PodSandboxConfig> config = back->Config();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->linux().security_context().namespace_options().network(),
            ::runtime::v1::NODE);
  EXPECT_EQ(config->metadata().name(), "web");
}

TEST(SandboxRecordTest, StepsAreRecorded) {
  SandboxRecord r;
  EXPECT_FALSE(r.HasStep("netns"));
  r.AddStep("netns", "/run/netns/x", 5);
  EXPECT_TRUE(r.HasStep("netns"));
  EXPECT_FALSE(r.HasStep("cni_attach"));
}

TEST(SandboxRecordTest, MalformedJsonIsAnErrorNotAThrow) {
  EXPECT_EQ(SandboxFromJsonString("{").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SandboxFromJsonString(R"({"id":"x"})").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SandboxFromJsonString(R"({"id":"x","metadata":{},"state":"WAT"})").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SandboxFromJsonString(R"({"id":"x","metadata":{"attempt":"two"},"state":"READY"})")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      SandboxFromJsonString(R"({"id":"x","metadata":{},"state":"READY","config":"%%%"})")
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(SandboxRecordTest, MinimalRecordParsesWithDefaults) {
  absl::StatusOr<SandboxRecord> r =
      SandboxFromJsonString(R"({"id":"x","metadata":{"name":"n"},"state":"CREATING","new":1})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->metadata.name, "n");
  EXPECT_EQ(r->state, S::kCreating);
  EXPECT_TRUE(r->labels.empty());
  EXPECT_TRUE(r->platform_data.is_object());
}

TEST(SandboxRecordTest, BadConfigBytesAreReported) {
  SandboxRecord r;
  r.id = "abc";
  r.config = "\xff\xff\xff";
  absl::Status s = r.Config().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("abc"), absl::string_view::npos);
}

}  // namespace
}  // namespace silo::runtime::model
