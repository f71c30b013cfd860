#include "runtime/linux/container_spec.h"

#include <algorithm>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/base/file_util.h"
#include "runtime/linux/seccomp_default.h"
#include "runtime/store/temp_dir_for_test.h"

namespace silo::runtime::linux_backend {
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
    spec_.user = {1000, 2000, {}};
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

TEST_F(ContainerSpecTest, PidNamespaceFollowsTheContainersModeOrElseThePods) {
  auto* pod_ns = pod_.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  auto* ctr_ns = config_.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  pod_ns->set_pid(::runtime::v1::NODE);
  config_.mutable_linux()->mutable_security_context()->clear_namespace_options();
  auto in = Build();
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(Find(*in, "pid"), nullptr) << "NODE: the node's PID namespace";

  pod_ns->set_pid(::runtime::v1::POD);
  ctr_ns = config_.mutable_linux()->mutable_security_context()->mutable_namespace_options();
  ctr_ns->set_pid(::runtime::v1::POD);
  in = Build();
  ASSERT_TRUE(in.ok()) << in.status();
  ASSERT_NE(Find(*in, "pid"), nullptr);
  EXPECT_EQ(Find(*in, "pid")->path, "/state/netns/pod1/pid") << "POD: the pod init's, pinned";

  pod_ns->set_pid(::runtime::v1::CONTAINER);
  EXPECT_EQ(Build().status().code(), absl::StatusCode::kInvalidArgument) << "POD in a pod made without one";

  ctr_ns->set_pid(::runtime::v1::TARGET);
  EXPECT_EQ(Build().status().code(), absl::StatusCode::kInvalidArgument) << "TARGET without target_id";
  ctr_ns->set_target_id("ctr0");
  in = Build();
  ASSERT_TRUE(in.ok()) << in.status();
  ASSERT_NE(Find(*in, "pid"), nullptr) << "TARGET: the host fills in the target's namespace";
}

TEST_F(ContainerSpecTest, MasksAndReadOnlyPathsReplaceTheDefaultsOnlyWhenGiven) {
  auto in = Build();
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_TRUE(in->masked_path_list.empty());
  auto* sc = config_.mutable_linux()->mutable_security_context();
  sc->add_masked_paths("/secret");
  sc->add_readonly_paths("/ro");
  in = Build();
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->masked_path_list, std::vector<std::string>{"/secret"});
  EXPECT_EQ(in->readonly_path_list, std::vector<std::string>{"/ro"});
}

TEST_F(ContainerSpecTest, AddAllIsEveryCapabilityTheDaemonHolds) {
  config_.mutable_linux()->mutable_security_context()->mutable_capabilities()->add_add_capabilities("ALL");
  auto in = Build();
  ASSERT_TRUE(in.ok()) << in.status();
  auto bounding = linux_backend::BoundingCapabilities();
  ASSERT_TRUE(bounding.ok());
  EXPECT_EQ(in->process.cap_add, *bounding);
}

TEST_F(ContainerSpecTest, JoinsThePodsNamespacesAndCgroup) {
  // What kubelet sends for an ordinary pod (the proto default is POD).
  pod_.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_pid(::runtime::v1::CONTAINER);
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

TEST_F(ContainerSpecTest, TtyGivesTheProcessATerminal) {
  auto plain = Build();
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_FALSE(plain->process.terminal);
  config_.set_tty(true);
  auto tty = Build();
  ASSERT_TRUE(tty.ok()) << tty.status();
  EXPECT_TRUE(tty->process.terminal);
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

TEST_F(ContainerSpecTest, ResolvedAndCriSupplementaryGroupsAreMergedWithoutDuplicates) {
  spec_.user.additional_gids = {2000, 29};
  config_.mutable_linux()->mutable_security_context()->add_supplemental_groups(29);
  config_.mutable_linux()->mutable_security_context()->add_supplemental_groups(500);
  auto in = Build();
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_THAT(in->process.user.additional_gids, ::testing::ElementsAre(2000u, 29u, 500u));
}

TEST_F(ContainerSpecTest, PrivilegedNeedsAPrivilegedPodAndGetsEverything) {
  config_.mutable_linux()->mutable_security_context()->set_privileged(true);
  config_.mutable_linux()->mutable_security_context()->mutable_capabilities()->add_drop_capabilities("ALL");
  auto refused = Build();
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.status().message()), ::testing::HasSubstr("not privileged"));

  pod_.mutable_linux()->mutable_security_context()->set_privileged(true);
  auto in = Build();
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_TRUE(in->privileged);
  EXPECT_FALSE(in->masked_paths);
  EXPECT_THAT(in->process.cap_add, ::testing::Contains("CAP_SYS_ADMIN"));
  EXPECT_THAT(in->process.cap_add, ::testing::Contains("CAP_CHOWN"));
  EXPECT_THAT(in->process.cap_drop, ::testing::ElementsAre("ALL"));
  bool has_null = false;
  for (const auto& d : in->devices) has_null = has_null || (d.path == "/dev/null" && d.type == 'c' && d.major == 1);
  EXPECT_TRUE(has_null) << "host /dev/null not passed";
}

TEST_F(ContainerSpecTest, PodSysctlsAreValidatedAndPassed) {
  (*pod_.mutable_linux()->mutable_sysctls())["net.core.somaxconn"] = "1024";
  auto in = Build();
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->sysctls.at("net.core.somaxconn"), "1024");
  (*pod_.mutable_linux()->mutable_sysctls())["vm.overcommit_memory"] = "1";
  EXPECT_EQ(Build().status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ContainerSpecTest, DevShmFromTheNodeOrThePodWhenProvided) {
  auto shm_source = [](const OciSpecInput& in) {
    for (const auto& m : in.mounts) {
      if (m.destination == "/dev/shm") return m.source;
    }
    return std::string();
  };
  auto in = Build();
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(shm_source(*in), "");  // the container's own tmpfs
  ASSERT_TRUE(MakeDirs(files_.path() + "/shm").ok());
  in = Build();
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(shm_source(*in), files_.path() + "/shm");
  pod_.mutable_linux()->mutable_security_context()->mutable_namespace_options()->set_ipc(::runtime::v1::NODE);
  in = Build();
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(shm_source(*in), "/dev/shm");
}

// The test sets the deprecated seccomp_profile_path too.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
TEST(ApplySeccompTest, ProfilesFromTheSecurityContext) {
  ::runtime::v1::ContainerConfig config;
  auto* sc = config.mutable_linux()->mutable_security_context();
  OciSpecInput in;
  ASSERT_TRUE(ApplySeccomp(config, true, &in).ok());
  EXPECT_TRUE(in.seccomp.is_null());  // unset: unconfined

  sc->mutable_seccomp()->set_profile_type(::runtime::v1::SecurityProfile::RuntimeDefault);
  ASSERT_TRUE(ApplySeccomp(config, true, &in).ok());
  EXPECT_EQ(in.seccomp, linux_backend::DefaultSeccompProfile());
  ASSERT_TRUE(ApplySeccomp(config, false, &in).ok());
  EXPECT_TRUE(in.seccomp.is_null());  // the runtime cannot apply it

  sc->set_privileged(true);
  ASSERT_TRUE(ApplySeccomp(config, true, &in).ok());
  EXPECT_TRUE(in.seccomp.is_null());
  sc->set_privileged(false);

  sc->mutable_seccomp()->set_profile_type(::runtime::v1::SecurityProfile::Unconfined);
  ASSERT_TRUE(ApplySeccomp(config, true, &in).ok());
  EXPECT_TRUE(in.seccomp.is_null());

  store::TempDirForTest dir;
  ASSERT_TRUE(AtomicWriteFile(dir.path() + "/p.json", R"({"defaultAction":"SCMP_ACT_LOG"})").ok());
  sc->mutable_seccomp()->set_profile_type(::runtime::v1::SecurityProfile::Localhost);
  sc->mutable_seccomp()->set_localhost_ref(dir.path() + "/p.json");
  ASSERT_TRUE(ApplySeccomp(config, true, &in).ok());
  EXPECT_EQ(in.seccomp["defaultAction"], "SCMP_ACT_LOG");
  EXPECT_EQ(ApplySeccomp(config, false, &in).code(), absl::StatusCode::kFailedPrecondition);
  sc->mutable_seccomp()->set_localhost_ref("p.json");
  EXPECT_EQ(ApplySeccomp(config, true, &in).code(), absl::StatusCode::kInvalidArgument);

  sc->clear_seccomp();
  sc->set_seccomp_profile_path("runtime/default");
  ASSERT_TRUE(ApplySeccomp(config, true, &in).ok());
  EXPECT_EQ(in.seccomp, linux_backend::DefaultSeccompProfile());
  sc->set_seccomp_profile_path("localhost/" + dir.path() + "/p.json");
  ASSERT_TRUE(ApplySeccomp(config, true, &in).ok());
  EXPECT_EQ(in.seccomp["defaultAction"], "SCMP_ACT_LOG");
  sc->set_seccomp_profile_path("bogus");
  EXPECT_EQ(ApplySeccomp(config, true, &in).code(), absl::StatusCode::kInvalidArgument);
}
#pragma GCC diagnostic pop

TEST(ResourcesFromCriTest, MapsEveryFieldAndRefusesBadValues) {
  ::runtime::v1::LinuxContainerResources res;
  res.set_memory_limit_in_bytes(64 << 20);
  res.set_memory_swap_limit_in_bytes(128 << 20);
  res.set_cpu_quota(-1);
  auto* h = res.add_hugepage_limits();
  h->set_page_size("2MB");
  h->set_limit(4 << 20);
  (*res.mutable_unified())["memory.high"] = "100000";
  auto out = ResourcesFromCri(res);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->memory_swap_bytes, 128 << 20);
  EXPECT_EQ(out->cpu_quota, -1);
  EXPECT_EQ(out->hugepage_limits.at("2MB"), 4u << 20);
  EXPECT_EQ(out->unified.at("memory.high"), "100000");
  EXPECT_FALSE(out->cpu_period.has_value());

  auto bad = [](auto mutate) {
    ::runtime::v1::LinuxContainerResources r;
    mutate(r);
    return ResourcesFromCri(r).status().code();
  };
  using R = ::runtime::v1::LinuxContainerResources;
  EXPECT_EQ(bad([](R& r) { r.set_cpu_period(10); }), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](R& r) { r.set_cpu_quota(5); }), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](R& r) { r.set_cpu_shares(1); }), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](R& r) { r.set_memory_limit_in_bytes(-5); }), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](R& r) {
              r.set_memory_limit_in_bytes(100);
              r.set_memory_swap_limit_in_bytes(50);
            }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](R& r) { r.add_hugepage_limits()->set_page_size("2M"); }), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](R& r) { (*r.mutable_unified())["../x"] = "1"; }), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace silo::runtime::linux_backend
