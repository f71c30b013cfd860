#include "runtime/model/container.h"

#include "gtest/gtest.h"

namespace silo::runtime::model {
namespace {

using C = ContainerState;

TEST(ContainerStateTest, DerivedFromTimestamps) {
  ContainerRecord r;
  EXPECT_EQ(r.State(), C::kUnknown);
  r.created_at_ns = 1;
  EXPECT_EQ(r.State(), C::kCreated);
  r.started_at_ns = 2;
  EXPECT_EQ(r.State(), C::kRunning);
  r.finished_at_ns = 3;
  EXPECT_EQ(r.State(), C::kExited);
  r.unknown = true;
  EXPECT_EQ(r.State(), C::kUnknown);
}

TEST(ContainerStateTest, TransitionsFollowTheDiagram) {
  EXPECT_TRUE(ValidateContainerTransition(C::kCreated, C::kRunning).ok());
  EXPECT_TRUE(ValidateContainerTransition(C::kCreated, C::kExited).ok());
  EXPECT_TRUE(ValidateContainerTransition(C::kCreated, C::kUnknown).ok());
  EXPECT_TRUE(ValidateContainerTransition(C::kRunning, C::kExited).ok());
  EXPECT_TRUE(ValidateContainerTransition(C::kRunning, C::kUnknown).ok());
  EXPECT_TRUE(ValidateContainerTransition(C::kUnknown, C::kExited).ok());
  EXPECT_TRUE(ValidateContainerTransition(C::kUnknown, C::kRunning).ok());
  EXPECT_TRUE(ValidateContainerTransition(C::kExited, C::kExited).ok());

  absl::Status s = ValidateContainerTransition(C::kExited, C::kRunning);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("EXITED"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("RUNNING"), absl::string_view::npos) << s;
  EXPECT_FALSE(ValidateContainerTransition(C::kRunning, C::kCreated).ok());
  EXPECT_FALSE(ValidateContainerTransition(C::kUnknown, C::kCreated).ok());
}

TEST(ContainerStateTest, RemovalNeedsAStoppedContainer) {
  EXPECT_TRUE(ValidateContainerRemoval(C::kCreated).ok());
  EXPECT_TRUE(ValidateContainerRemoval(C::kExited).ok());
  EXPECT_EQ(ValidateContainerRemoval(C::kRunning).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(ValidateContainerRemoval(C::kUnknown).ok());
}

TEST(ContainerStateTest, CriMapping) {
  EXPECT_EQ(ToCri(C::kCreated), ::runtime::v1::CONTAINER_CREATED);
  EXPECT_EQ(ToCri(C::kRunning), ::runtime::v1::CONTAINER_RUNNING);
  EXPECT_EQ(ToCri(C::kExited), ::runtime::v1::CONTAINER_EXITED);
  EXPECT_EQ(ToCri(C::kUnknown), ::runtime::v1::CONTAINER_UNKNOWN);
}

TEST(ContainerRecordTest, JsonRoundTripKeepsEveryField) {
  ContainerRecord r;
  r.id = std::string(64, 'c');
  r.sandbox_id = std::string(64, 'a');
  r.metadata = {"app", 3};
  r.image_ref = "registry.k8s.io/pause:3.9";
  r.image_id = "sha256:0123";
  r.created_at_ns = 10;
  r.started_at_ns = 20;
  r.finished_at_ns = 30;
  r.exit_code = 137;
  r.reason = "OOMKilled";
  r.message = "out of memory";
  r.unknown = true;
  r.labels = {{"io.kubernetes.container.name", "app"}};
  r.annotations = {{"a", "b"}};
  r.log_path = "/var/log/pods/x/app/3.log";
  ::runtime::v1::ContainerConfig config;
  config.add_command("/bin/sh");
  config.mutable_metadata()->set_name("app");
  r.SetConfig(config);
  r.pid = 4242;
  r.host_handle = "/run/silo/s/cccc.sock";
  r.runtime_handler = "runc";
  r.handler_type = "runc";
  r.stop_signal = "SIGQUIT";

  absl::StatusOr<ContainerRecord> back = ContainerFromJsonString(ContainerToJsonString(r));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, r);
  EXPECT_EQ(back->exit_code, 137);
  EXPECT_EQ(back->pid, 4242);
  absl::StatusOr<::runtime::v1::ContainerConfig> c = back->Config();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->command(0), "/bin/sh");
}

// Records written before stop_signal existed load with the default.
TEST(ContainerRecordTest, RecordsWithoutStopSignalLoad) {
  absl::StatusOr<ContainerRecord> old = ContainerFromJsonString(R"({"id":"x","sandbox_id":"s","exit_code":3})");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->stop_signal, "");
  EXPECT_EQ(old->exit_code, 3);
}

// Records written before handlers were recorded keep their shim socket as
// the host handle and name no handler (the default one).
TEST(ContainerRecordTest, RecordsWithShimSocketLoadItAsTheHostHandle) {
  absl::StatusOr<ContainerRecord> old =
      ContainerFromJsonString(R"({"id":"x","sandbox_id":"s","shim_socket":"/run/silo/shims/x.sock"})");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->host_handle, "/run/silo/shims/x.sock");
  EXPECT_EQ(old->runtime_handler, "");
  EXPECT_EQ(old->handler_type, "");
}

TEST(ContainerRecordTest, MalformedJsonIsAnError) {
  EXPECT_EQ(ContainerFromJsonString("[").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ContainerFromJsonString(R"({"id":"x"})").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ContainerFromJsonString(R"({"id":"x","sandbox_id":"s","pid":"many"})").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace silo::runtime::model
