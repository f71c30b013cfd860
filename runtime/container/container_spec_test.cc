#include "runtime/container/container_spec.h"

#include <algorithm>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/base/file_util.h"
#include "runtime/store/temp_dir_for_test.h"

namespace silo::runtime::container {
namespace {

using linux_backend::OciMount;
using linux_backend::OciNamespace;
using linux_backend::OciSpecInput;

class ContainerSpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sandbox_.id = "pod1";
    sandbox_.netns_path = "/run/x/netns/pod1";
    sandbox_.hostname = "pod-host";
    sandbox_.cgroup_path = "/silo/pod1";
    sandbox_.SetConfig(pod_);
    config_.mutable_metadata()->set_name("app");
    spec_.id = "ctr1";
    spec_.sandbox = &sandbox_;
    spec_.config = &config_;
    spec_.sandbox_files_dir = files_.path();
    spec_.args = {"/bin/app", "--flag"};
    spec_.env = {"A=1"};
    spec_.cwd = "/work";
    spec_.user = {1000, 2000};
  }

  absl::StatusOr<OciSpecInput> Build() {
    sandbox_.SetConfig(pod_);
    return BuildOciSpecInput(spec_, "/state/ctr1/rootfs", "/state/netns");
  }

  static const OciNamespace* Find(const OciSpecInput& in, const std::string& type) {
    for (const auto& ns : in.namespaces) {
      if (ns.type == type) return &ns;
    }
    return nullptr;
  }

  store::TempDirForTest files_;
  model::SandboxRecord sandbox_;
  ::runtime::v1::PodSandboxConfig pod_;
  ::runtime::v1::ContainerConfig config_;
  CreateSpec spec_;
};

TEST_F(ContainerSpecTest, JoinsThePodsNamespacesAndCgroup) {
  auto in = Build();
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->rootfs, "/state/ctr1/rootfs");
  EXPECT_EQ(in->process.args, spec_.args);
  EXPECT_EQ(in->process.cwd, "/work");
  EXPECT_EQ(in->process.user.uid, 1000u);
  EXPECT_EQ(in->process.user.gid, 2000u);
  EXPECT_EQ(in->hostname, "pod-host");
  EXPECT_EQ(in->cgroups_path, "/silo/pod1/ctr1");
  ASSERT_NE(Find(*in, "network"), nullptr);
  EXPECT_EQ(Find(*in, "network")->path, "/run/x/netns/pod1");
  ASSERT_NE(Find(*in, "ipc"), nullptr);
  EXPECT_FALSE(Find(*in, "ipc")->path.empty());
  ASSERT_NE(Find(*in, "uts"), nullptr);
  ASSERT_NE(Find(*in, "pid"), nullptr);
  EXPECT_TRUE(Find(*in, "pid")->path.empty());  // a new pid namespace per container
  ASSERT_NE(Find(*in, "mount"), nullptr);
}

TEST_F(ContainerSpecTest, HostNetworkPodsKeepTheNodesNetworkAndName) {
  pod_.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_network(::runtime::v1::NODE);
  pod_.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_ipc(::runtime::v1::NODE);
  auto in = Build();
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(Find(*in, "network"), nullptr);
  EXPECT_EQ(Find(*in, "uts"), nullptr);
  EXPECT_EQ(Find(*in, "ipc"), nullptr);
  EXPECT_TRUE(in->hostname.empty());
}

TEST_F(ContainerSpecTest, ResourcesAndSecurityContextAreMapped) {
  auto* res = config_.mutable_linux()->mutable_resources();
  res->set_cpu_shares(512);
  res->set_cpu_quota(50000);
  res->set_cpu_period(100000);
  res->set_memory_limit_in_bytes(32 << 20);
  auto* sc = config_.mutable_linux()->mutable_security_context();
  sc->set_readonly_rootfs(true);
  sc->set_no_new_privs(true);
  sc->mutable_capabilities()->add_drop_capabilities("ALL");
  sc->mutable_capabilities()->add_add_capabilities("NET_BIND_SERVICE");
  auto in = Build();
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->resources.cpu_shares, 512u);
  EXPECT_EQ(in->resources.cpu_quota, 50000);
  EXPECT_EQ(in->resources.cpu_period, 100000u);
  EXPECT_EQ(in->resources.memory_limit_bytes, 32 << 20);
  EXPECT_FALSE(in->resources.pids_limit.has_value());
  EXPECT_TRUE(in->readonly_rootfs);
  EXPECT_TRUE(in->process.no_new_privileges);
  EXPECT_THAT(in->process.cap_drop, ::testing::ElementsAre("ALL"));
  EXPECT_THAT(in->process.cap_add, ::testing::ElementsAre("NET_BIND_SERVICE"));
}

TEST_F(ContainerSpecTest, MountsPodFilesThatExistAndCriMountsWithReadOnly) {
  ASSERT_TRUE(AtomicWriteFile(files_.path() + "/hosts", "127.0.0.1 localhost\n").ok());
  ASSERT_TRUE(AtomicWriteFile(files_.path() + "/resolv.conf", "nameserver 10.0.0.10\n").ok());
  auto* m = config_.add_mounts();
  m->set_container_path("/data");
  m->set_host_path("/srv/data");
  m->set_readonly(true);
  auto in = Build();
  ASSERT_TRUE(in.ok()) << in.status();
  std::vector<std::string> destinations;
  for (const auto& mount : in->mounts) destinations.push_back(mount.destination);
  EXPECT_THAT(destinations, ::testing::ElementsAre("/etc/hosts", "/etc/resolv.conf", "/data"));  // no hostname file
  EXPECT_EQ(in->mounts[0].source, files_.path() + "/hosts");
  EXPECT_THAT(in->mounts[2].options, ::testing::Contains("ro"));
  EXPECT_THAT(in->mounts[0].options, ::testing::Contains("rw"));

  config_.add_mounts()->set_container_path("/nohost");
  EXPECT_EQ(Build().status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace silo::runtime::container
