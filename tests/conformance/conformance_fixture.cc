#include "tests/conformance/conformance_fixture.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"

namespace silo::testing::conformance {
namespace {

std::chrono::system_clock::time_point In(int seconds) {
  return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
}

// Pods of their own get a network namespace; CNI then only brings up lo.
constexpr char kLoopbackNetwork[] =
    R"({"cniVersion": "1.0.0", "name": "silo-conformance", "plugins": [{"type": "loopback"}]})";

}  // namespace

std::string NodeHostname() {
  char name[256] = {};
  ::gethostname(name, sizeof(name) - 1);
  return name;
}

void ConformanceTest::SetUp() {
  ASSERT_TRUE(MakeDirs(silod_dir_.path() + "/cni").ok());
  ASSERT_TRUE(AtomicWriteFile(silod_dir_.path() + "/cni/10-loopback.conflist", kLoopbackNetwork).ok());
  ContainerPodTest::SetUp();
}

void ConformanceTest::TearDown() {
  if (rt_) {
    for (const auto& c : List()) EXPECT_TRUE(Remove(c.id()).ok()) << c.id();
    for (const auto& id : pods_) {
      EXPECT_TRUE(StopPod(id).ok()) << id;
      EXPECT_TRUE(RemovePod(id).ok()) << id;
    }
  }
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (!IsSkipped() && info != nullptr) {
    auto it = AllDeclarations().find(absl::StrCat(info->test_suite_name(), ".", info->name()));
    if (it != AllDeclarations().end()) {
      for (const auto& field : it->second) {
        EXPECT_TRUE(sent_fields_.contains(field)) << "the test declares " << field << " but never sent it set";
      }
    }
  }
  ContainerPodTest::TearDown();
}

::runtime::v1::PodSandboxConfig ConformanceTest::PodConfig(const std::string& suffix) {
  ::runtime::v1::PodSandboxConfig c;
  std::string name = absl::StrCat(pod_.metadata().name(), "-", suffix);
  c.mutable_metadata()->set_name(name);
  c.mutable_metadata()->set_namespace_("conformance");
  c.mutable_metadata()->set_uid("uid-" + name);
  c.set_log_directory(logs_.path());
  c.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(::runtime::v1::CONTAINER);
  return c;
}

grpc::Status ConformanceTest::RunPod(const ::runtime::v1::PodSandboxConfig& config, std::string* id) {
  CollectSetFields(config, &sent_fields_);
  grpc::ClientContext ctx;
  ctx.set_deadline(In(60));
  ::runtime::v1::RunPodSandboxRequest req;
  *req.mutable_config() = config;
  ::runtime::v1::RunPodSandboxResponse resp;
  grpc::Status s = rt_->RunPodSandbox(&ctx, req, &resp);
  *id = resp.pod_sandbox_id();
  if (s.ok()) pods_.push_back(*id);
  return s;
}

grpc::Status ConformanceTest::StopPod(const std::string& id) {
  grpc::ClientContext ctx;
  ctx.set_deadline(In(60));
  ::runtime::v1::StopPodSandboxRequest req;
  req.set_pod_sandbox_id(id);
  ::runtime::v1::StopPodSandboxResponse resp;
  return rt_->StopPodSandbox(&ctx, req, &resp);
}

grpc::Status ConformanceTest::RemovePod(const std::string& id) {
  grpc::ClientContext ctx;
  ctx.set_deadline(In(60));
  ::runtime::v1::RemovePodSandboxRequest req;
  req.set_pod_sandbox_id(id);
  ::runtime::v1::RemovePodSandboxResponse resp;
  return rt_->RemovePodSandbox(&ctx, req, &resp);
}

std::vector<::runtime::v1::PodSandbox> ConformanceTest::ListPods() {
  grpc::ClientContext ctx;
  ctx.set_deadline(In(30));
  ::runtime::v1::ListPodSandboxResponse resp;
  grpc::Status s = rt_->ListPodSandbox(&ctx, {}, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return {resp.items().begin(), resp.items().end()};
}

grpc::Status ConformanceTest::CreateIn(const std::string& pod_id, const ::runtime::v1::PodSandboxConfig& pod,
                                       const ::runtime::v1::ContainerConfig& config, std::string* id) {
  CollectSetFields(config, &sent_fields_);
  grpc::ClientContext ctx;
  ctx.set_deadline(In(30));
  ::runtime::v1::CreateContainerRequest req;
  req.set_pod_sandbox_id(pod_id);
  *req.mutable_config() = config;
  *req.mutable_sandbox_config() = pod;
  ::runtime::v1::CreateContainerResponse resp;
  grpc::Status s = rt_->CreateContainer(&ctx, req, &resp);
  *id = resp.container_id();
  return s;
}

grpc::Status ConformanceTest::CreateRecorded(const ::runtime::v1::ContainerConfig& config, std::string* id) {
  CollectSetFields(pod_, &sent_fields_);
  return CreateIn(pod_id_, pod_, config, id);
}

std::string ConformanceTest::RunIn(const std::string& pod_id, const ::runtime::v1::PodSandboxConfig& pod,
                                   const ::runtime::v1::ContainerConfig& config) {
  std::string id;
  grpc::Status s = CreateIn(pod_id, pod, config, &id);
  if (!s.ok()) {
    ADD_FAILURE() << "CreateContainer " << config.metadata().name() << ": " << s.error_message();
    return "";
  }
  s = Start(id);
  if (!s.ok()) {
    ADD_FAILURE() << "StartContainer " << config.metadata().name() << ": " << s.error_message();
    return "";
  }
  return id;
}

ExecResult ConformanceTest::Exec(const std::string& id, std::vector<std::string> cmd, int timeout_s) {
  grpc::ClientContext ctx;
  ctx.set_deadline(In(timeout_s + 10));
  ::runtime::v1::ExecSyncRequest req;
  req.set_container_id(id);
  for (auto& a : cmd) req.add_cmd(a);
  req.set_timeout(timeout_s);
  ::runtime::v1::ExecSyncResponse resp;
  ExecResult r;
  r.status = rt_->ExecSync(&ctx, req, &resp);
  r.exit_code = resp.exit_code();
  r.out = resp.stdout();
  r.err = resp.stderr();
  return r;
}

std::string ConformanceTest::ShIn(const std::string& id, const std::string& script) {
  ExecResult r = Exec(id, {"sh", "-c", script});
  EXPECT_TRUE(r.status.ok()) << script << ": " << r.status.error_message();
  EXPECT_EQ(r.exit_code, 0) << script << "\nstdout: " << r.out << "\nstderr: " << r.err;
  return r.out;
}

}  // namespace silo::testing::conformance
