// Boots the real silod on a temporary socket and root and talks CRI to it.
#include <sys/stat.h>

#include <filesystem>

#include "cri/api/rpcs.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "runtime/base/file_util.h"
#include "tests/support/reflection.grpc.pb.h"
#include "tests/support/silod_process.h"

namespace silo::testing {
namespace {

using ::runtime::v1::RuntimeService;

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = SilodProcess::Start({.dir = dir_.path()});
    ASSERT_TRUE(p.ok()) << p.status();
    silod_ = std::move(*p);
    rt_ = silod_->RuntimeStub();
    img_ = silod_->ImageStub();
  }

  grpc::Status Call(const std::function<grpc::Status(grpc::ClientContext*)>& fn) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return fn(&ctx);
  }

  TempDir dir_;
  std::unique_ptr<SilodProcess> silod_;
  std::unique_ptr<RuntimeService::Stub> rt_;
  std::unique_ptr<::runtime::v1::ImageService::Stub> img_;
};

TEST_F(DaemonTest, VersionAnswersAllFields) {
  ::runtime::v1::VersionResponse r;
  ASSERT_TRUE(Call([&](auto* c) { return rt_->Version(c, {}, &r); }).ok());
  EXPECT_EQ(r.version(), "0.1.0");
  EXPECT_EQ(r.runtime_name(), "silo");
  EXPECT_FALSE(r.runtime_version().empty());
  EXPECT_EQ(r.runtime_api_version(), "v1");
}

TEST_F(DaemonTest, StatusTracksCniConfig) {
  ::runtime::v1::StatusResponse r;
  ASSERT_TRUE(Call([&](auto* c) { return rt_->Status(c, {}, &r); }).ok());
  ASSERT_EQ(r.status().conditions_size(), 2);
  EXPECT_EQ(r.status().conditions(0).type(), "RuntimeReady");
  EXPECT_TRUE(r.status().conditions(0).status()) << r.status().conditions(0).message();
  EXPECT_EQ(r.status().conditions(1).type(), "NetworkReady");
  EXPECT_FALSE(r.status().conditions(1).status());
  EXPECT_EQ(r.status().conditions(1).reason(), "NetworkPluginNotReady");
  EXPECT_NE(r.status().conditions(1).message().find(silod_->cni_conf_dir()), std::string::npos);
  ASSERT_GE(r.runtime_handlers_size(), 1);
  EXPECT_TRUE(r.has_features());

  // A config naming the real bridge plugin makes the network ready, no restart.
  ASSERT_TRUE(AtomicWriteFile(silod_->cni_conf_dir() + "/10-pods.conflist",
                              R"({"cniVersion":"1.0.0","name":"pods","plugins":[{"type":"bridge"}]})")
                  .ok());
  r.Clear();
  ::runtime::v1::StatusRequest verbose;
  verbose.set_verbose(true);
  ASSERT_TRUE(Call([&](auto* c) { return rt_->Status(c, verbose, &r); }).ok());
  EXPECT_TRUE(r.status().conditions(1).status()) << r.status().conditions(1).message();
  ASSERT_TRUE(r.info().count("config"));
  EXPECT_NE(r.info().at("config").find(silod_->root()), std::string::npos);
  EXPECT_NE(r.info().at("build").find("grpc"), std::string::npos);
}

TEST_F(DaemonTest, RuntimeConfigAndUpdateRuntimeConfig) {
  ::runtime::v1::RuntimeConfigResponse rc;
  ASSERT_TRUE(Call([&](auto* c) { return rt_->RuntimeConfig(c, {}, &rc); }).ok());
  EXPECT_EQ(rc.linux().cgroup_driver(), ::runtime::v1::CGROUPFS);
  ::runtime::v1::UpdateRuntimeConfigRequest req;
  req.mutable_runtime_config()->mutable_network_config()->set_pod_cidr("10.88.0.0/16");
  ::runtime::v1::UpdateRuntimeConfigResponse resp;
  EXPECT_TRUE(Call([&](auto* c) { return rt_->UpdateRuntimeConfig(c, req, &resp); }).ok());
  req.mutable_runtime_config()->mutable_network_config()->set_pod_cidr("not-a-cidr");
  grpc::Status s = Call([&](auto* c) { return rt_->UpdateRuntimeConfig(c, req, &resp); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// Every one of the 41 RPCs is routed: implemented ones succeed, the rest say
// UNIMPLEMENTED with their own name (gRPC's reply for an unknown method names
// no RPC, so this also proves each method is registered).
TEST_F(DaemonTest, EveryRpcIsServedOrNamedUnimplemented) {
  const std::set<std::string> implemented = {"Version",        "Status",           "RuntimeConfig",
                                              "UpdateRuntimeConfig", "StopPodSandbox", "RemovePodSandbox",
                                              "ListPodSandbox", "ListImages",     "ImageFsInfo",
                                              "ListContainers", "ListContainerStats", "ListPodSandboxStats",
                                              "ListMetricDescriptors", "ListPodSandboxMetrics"};
  // Implemented RPCs for which an empty request is an error by CRI's rules.
  const std::map<std::string, grpc::StatusCode> empty_request_fails = {
      {"RunPodSandbox", grpc::StatusCode::INVALID_ARGUMENT},   // no metadata
      {"PodSandboxStatus", grpc::StatusCode::NOT_FOUND},       // no such sandbox
      {"PullImage", grpc::StatusCode::INVALID_ARGUMENT},       // no image reference
      {"ImageStatus", grpc::StatusCode::INVALID_ARGUMENT},
      {"RemoveImage", grpc::StatusCode::INVALID_ARGUMENT},
      {"CreateContainer", grpc::StatusCode::INVALID_ARGUMENT},  // no metadata
      {"StartContainer", grpc::StatusCode::INVALID_ARGUMENT},   // empty container id
      {"StopContainer", grpc::StatusCode::INVALID_ARGUMENT},
      {"RemoveContainer", grpc::StatusCode::INVALID_ARGUMENT},
      {"ContainerStatus", grpc::StatusCode::INVALID_ARGUMENT},
      {"ExecSync", grpc::StatusCode::INVALID_ARGUMENT},         // no command
      {"ReopenContainerLog", grpc::StatusCode::INVALID_ARGUMENT},
      {"UpdateContainerResources", grpc::StatusCode::INVALID_ARGUMENT},
      {"ContainerStats", grpc::StatusCode::INVALID_ARGUMENT},
      {"PodSandboxStats", grpc::StatusCode::INVALID_ARGUMENT},
      {"Exec", grpc::StatusCode::INVALID_ARGUMENT},         // no container id
      {"Attach", grpc::StatusCode::INVALID_ARGUMENT},
      {"PortForward", grpc::StatusCode::INVALID_ARGUMENT},  // no sandbox id
  };
  int checked = 0;
  auto expect = [&](const char* name, const grpc::Status& s) {
    ++checked;
    if (auto it = empty_request_fails.find(name); it != empty_request_fails.end()) {
      EXPECT_EQ(s.error_code(), it->second) << name << ": " << s.error_message();
    } else if (implemented.count(name)) {
      EXPECT_TRUE(s.ok()) << name << ": " << s.error_message();
    } else {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED) << name;
      EXPECT_NE(s.error_message().find(name), std::string::npos) << name << ": " << s.error_message();
    }
  };
#define SILO_CALL_UNARY(stub, name)                                                     \
  {                                                                                     \
    ::runtime::v1::name##Response resp;                                                   \
    expect(#name, Call([&](auto* c) { return stub->name(c, ::runtime::v1::name##Request(), &resp); })); \
  }
#define SILO_CALL_STREAM(stub, name)                                                    \
  {                                                                                     \
    expect(#name, Call([&](auto* c) {                                                   \
             auto reader = stub->name(c, ::runtime::v1::name##Request());                 \
             ::runtime::v1::name##Response resp;                                          \
             while (reader->Read(&resp)) {                                              \
             }                                                                          \
             return reader->Finish();                                                   \
           }));                                                                         \
  }
#define SILO_RT_UNARY(name) SILO_CALL_UNARY(rt_, name)
#define SILO_RT_STREAM(name) SILO_CALL_STREAM(rt_, name)
#define SILO_IMG_UNARY(name) SILO_CALL_UNARY(img_, name)
#define SILO_IMG_STREAM(name) SILO_CALL_STREAM(img_, name)
  SILO_CRI_RUNTIME_UNARY_RPCS(SILO_RT_UNARY)
  SILO_CRI_RUNTIME_STREAM_RPCS(SILO_RT_STREAM)
  SILO_CRI_IMAGE_UNARY_RPCS(SILO_IMG_UNARY)
  SILO_CRI_IMAGE_STREAM_RPCS(SILO_IMG_STREAM)
  {
    // An event stream never ends by itself: a short deadline ends it.
    ++checked;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    auto reader = rt_->GetContainerEvents(&ctx, ::runtime::v1::GetEventsRequest());
    ::runtime::v1::ContainerEventResponse resp;
    while (reader->Read(&resp)) {
    }
    grpc::Status s = reader->Finish();
    EXPECT_TRUE(s.ok() || s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
        << "GetContainerEvents: " << s.error_code() << " " << s.error_message();
  }
  EXPECT_EQ(checked, 41);
}

// What a generic gRPC client (grpcurl, an IDE) sees through server reflection:
// both CRI services, and from the descriptor they send, all 41 methods.
TEST_F(DaemonTest, ReflectionListsBothServicesWithAll41Methods) {
  namespace refl = grpc::reflection::v1alpha;
  auto channel = grpc::CreateChannel("unix:" + silod_->socket_path(), grpc::InsecureChannelCredentials());
  auto stub = refl::ServerReflection::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = stub->ServerReflectionInfo(&ctx);

  refl::ServerReflectionRequest list;
  list.set_list_services("*");
  ASSERT_TRUE(stream->Write(list));
  refl::ServerReflectionResponse resp;
  ASSERT_TRUE(stream->Read(&resp));
  std::set<std::string> services;
  for (const auto& s : resp.list_services_response().service()) services.insert(s.name());
  EXPECT_TRUE(services.count("runtime.v1.RuntimeService"));
  EXPECT_TRUE(services.count("runtime.v1.ImageService"));

  refl::ServerReflectionRequest file;
  file.set_file_containing_symbol("runtime.v1.RuntimeService");
  ASSERT_TRUE(stream->Write(file));
  ASSERT_TRUE(stream->Read(&resp));
  ASSERT_EQ(resp.message_response_case(), refl::ServerReflectionResponse::kFileDescriptorResponse);
  int methods = 0;
  for (const auto& bytes : resp.file_descriptor_response().file_descriptor_proto()) {
    google::protobuf::FileDescriptorProto fd;
    ASSERT_TRUE(fd.ParseFromString(bytes));
    for (const auto& svc : fd.service()) {
      if (fd.package() == "runtime.v1") methods += svc.method_size();
    }
  }
  EXPECT_EQ(methods, 41);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(DaemonTest, MetricsShowPerRpcCountsAfterCalls) {
  ::runtime::v1::VersionResponse r;
  ASSERT_TRUE(Call([&](auto* c) { return rt_->Version(c, {}, &r); }).ok());
  ::runtime::v1::RemovePodSandboxResponse rr;
  EXPECT_TRUE(Call([&](auto* c) { return rt_->RemovePodSandbox(c, {}, &rr); }).ok());  // unknown id: OK
  ::runtime::v1::PodSandboxStatusResponse sr;
  Call([&](auto* c) { return rt_->PodSandboxStatus(c, {}, &sr); });
  auto body = HttpGet(silod_->metrics_port(), "/metrics");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_NE(body->find("silo_cri_requests_total{code=\"OK\",rpc=\"Version\",service=\"RuntimeService\"}"),
            std::string::npos)
      << *body;
  EXPECT_NE(body->find("code=\"OK\",rpc=\"RemovePodSandbox\""), std::string::npos);
  EXPECT_NE(body->find("code=\"NOT_FOUND\",rpc=\"PodSandboxStatus\""), std::string::npos);
  EXPECT_NE(body->find("silo_cri_request_duration_seconds_bucket{rpc=\"Version\""), std::string::npos);
  EXPECT_NE(body->find("silo_build_info{"), std::string::npos);
  EXPECT_NE(body->find("process_resident_memory_bytes"), std::string::npos);
}

// A request above the 16 MiB message limit is refused by gRPC before any
// handler sees it, and the daemon goes on serving.
TEST_F(DaemonTest, OversizedRequestIsRefusedAndDaemonKeepsServing) {
  ::runtime::v1::ImageStatusRequest req;
  req.mutable_image()->set_image(std::string(17 << 20, 'a'));
  ::runtime::v1::ImageStatusResponse resp;
  grpc::Status s = Call([&](auto* c) { return img_->ImageStatus(c, req, &resp); });
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  ::runtime::v1::VersionResponse v;
  EXPECT_TRUE(Call([&](auto* c) { return rt_->Version(c, {}, &v); }).ok());
}

TEST_F(DaemonTest, SocketIsPrivateAndRemovedOnSigterm) {
  struct stat st;
  ASSERT_EQ(stat(silod_->socket_path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  EXPECT_EQ(silod_->Stop(kSigTerm), 0) << silod_->Output();
  EXPECT_FALSE(std::filesystem::exists(silod_->socket_path()));
  EXPECT_NE(silod_->Output().find("silod stopped"), std::string::npos) << silod_->Output();
}

TEST_F(DaemonTest, RestartOverStaleSocketWorks) {
  std::string socket = silod_->socket_path();
  EXPECT_EQ(silod_->Stop(kSigKill), 128 + kSigKill);
  ASSERT_TRUE(std::filesystem::exists(socket));  // left behind by the killed daemon
  auto again = SilodProcess::Start({.dir = dir_.path()});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_NE((*again)->Output().find("removing stale socket"), std::string::npos);
}

TEST_F(DaemonTest, SecondDaemonOnLiveSocketRefusesToStart) {
  TempDir other;
  RunResult r = RunSilod({"--root", other.path() + "/root", "--state", other.path() + "/state", "--listen",
                          silod_->endpoint()},
                         std::chrono::seconds(20));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("already listening"), std::string::npos) << r.output;
  // The first daemon and its socket are untouched.
  ::runtime::v1::VersionResponse v;
  EXPECT_TRUE(Call([&](auto* c) { return rt_->Version(c, {}, &v); }).ok());
}

TEST_F(DaemonTest, SecondDaemonOnSameRootRefusesToStart) {
  TempDir other;
  auto r = RunSilod({"--root", silod_->root(), "--state", other.path() + "/state", "--listen",
                     "unix://" + other.path() + "/s.sock"},
                    std::chrono::seconds(20));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("in use by another silod"), std::string::npos) << r.output;
}

TEST(DaemonCliTest, DefaultConfigStartsWithOverrides) {
  TempDir dir;
  RunResult printed = RunSilod({"config", "default"});
  ASSERT_EQ(printed.exit_code, 0);
  EXPECT_NE(printed.output.find("listen: unix:///run/silo/silod.sock"), std::string::npos) << printed.output;
  // The printed default, with the metrics port moved so parallel tests never clash.
  std::string yaml = printed.output;
  size_t pos = yaml.find("127.0.0.1:9464");
  ASSERT_NE(pos, std::string::npos);
  yaml.replace(pos, 14, "127.0.0.1:" + std::to_string(PickFreePort()));
  ASSERT_TRUE(AtomicWriteFile(dir.path() + "/c.yaml", yaml).ok());
  auto p = SilodProcess::Start({.dir = dir.path(), .extra_args = {"--config", dir.path() + "/c.yaml"}});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/root/silod.lock"));
}

TEST(DaemonCliTest, RefusesRootAndStateDirsOthersCanWrite) {
  TempDir dir;
  for (const char* which : {"/r", "/s"}) {
    const std::string open_dir = dir.path() + which;
    ASSERT_TRUE(MakeDirs(open_dir).ok());
    ASSERT_EQ(::chmod(open_dir.c_str(), 0777), 0);
    RunResult r = RunSilod({"--root", dir.path() + "/r", "--state", dir.path() + "/s", "--listen",
                            "unix://" + dir.path() + "/silod.sock"});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find(open_dir + " is writable by other users (mode 0777"), std::string::npos) << r.output;
    ASSERT_EQ(::chmod(open_dir.c_str(), 0711), 0);
  }
}

TEST(DaemonCliTest, StateDirTooLongForShimSocketsIsRefusedAtStart) {
  TempDir dir;
  const std::string state = dir.path() + "/" + std::string(60, 's');
  ASSERT_TRUE(AtomicWriteFile(dir.path() + "/c.yaml", "metrics: {enabled: false}\n").ok());
  RunResult r = RunSilod({"--config", dir.path() + "/c.yaml", "--root", dir.path() + "/r", "--state", state,
                          "--listen", "unix://" + dir.path() + "/silod.sock"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("is too long: shim sockets"), std::string::npos) << r.output;
}

TEST(DaemonCliTest, UnknownConfigKeyFailsNamingTheKey) {
  TempDir dir;
  ASSERT_TRUE(AtomicWriteFile(dir.path() + "/bad.yaml", "metrics:\n  adress: 127.0.0.1:1\n").ok());
  RunResult r = RunSilod({"--config", dir.path() + "/bad.yaml", "--root", dir.path() + "/r", "--state",
                          dir.path() + "/s"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("metrics.adress: unknown key"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/r"));  // nothing created on a bad config
}

TEST(DaemonCliTest, VersionAndBadFlags) {
  RunResult v = RunSilod({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.output.rfind("silod ", 0), 0u) << v.output;
  RunResult bad = RunSilod({"--frobnicate"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("--frobnicate"), std::string::npos);
}

}  // namespace
}  // namespace silo::testing
