// LinuxContainerSecurityContext: masked and read-only paths, capabilities,
// run_as_user / run_as_group, and the RuntimeDefault seccomp profile with and
// without CAP_SYS_ADMIN.
#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "runtime/base/file_util.h"
#include "tests/conformance/conformance_fixture.h"

namespace silo::testing::conformance {
namespace {

// The "Cap<kind>:" mask of a /proc/<pid>/status text.
uint64_t CapMask(const std::string& status, const std::string& kind) {
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    if (absl::ConsumePrefix(&line, absl::StrCat("Cap", kind, ":"))) {
      uint64_t mask = 0;
      EXPECT_TRUE(absl::SimpleHexAtoi(absl::StripAsciiWhitespace(line), &mask)) << line;
      return mask;
    }
  }
  ADD_FAILURE() << "no Cap" << kind << " in " << status;
  return 0;
}

class SecurityContextConformance : public ConformanceTest {
 protected:
  // A started container with `edit` applied to its security context; its
  // main process's /proc/1/status.
  std::string StatusWith(const std::function<void(::runtime::v1::LinuxContainerSecurityContext*)>& edit,
                         std::string* id) {
    ::runtime::v1::ContainerConfig c = Config("c", Sleeper());
    edit(c.mutable_linux()->mutable_security_context());
    grpc::Status s = CreateRecorded(c, id);
    if (!s.ok()) {
      ADD_FAILURE() << s.error_message();
      return "";
    }
    s = Start(*id);
    if (!s.ok()) {
      ADD_FAILURE() << s.error_message();
      return "";
    }
    return ShIn(*id, "cat /proc/1/status");
  }
  // A bind-mounted host directory at /data holding an executable script.
  ::runtime::v1::ContainerConfig WithData(const std::string& name) {
    EXPECT_TRUE(AtomicWriteFile(data_.path() + "/secret.sh", "#!/bin/sh\necho secret\n").ok());
    EXPECT_EQ(::silo::testing::Sh(absl::StrCat("chmod 0755 ", data_.path(), "/secret.sh && mkdir -p ",
                                               data_.path(), "/rw")), 0);
    ::runtime::v1::ContainerConfig c = Config(name, Sleeper());
    auto* m = c.add_mounts();
    m->set_host_path(data_.path());
    m->set_container_path("/data");
    return c;
  }
  TempDir data_;
};

SILO_EXERCISES(SecurityContextConformance, MaskedPathsCannotBeReadOrExecuted,
               "LinuxContainerSecurityContext.masked_paths");
TEST_F(SecurityContextConformance, MaskedPathsCannotBeReadOrExecuted) {
  ::runtime::v1::ContainerConfig c = WithData("c");
  c.mutable_linux()->mutable_security_context()->add_masked_paths("/data/secret.sh");
  std::string id;
  ASSERT_TRUE(CreateRecorded(c, &id).ok());
  ASSERT_TRUE(Start(id).ok());
  EXPECT_EQ(ShIn(id, "cat /data/secret.sh; echo end"), "end\n");
  ExecResult run = Exec(id, {"/data/secret.sh"});
  // runc refuses to start it (ExecSync fails), or the shell does (non-zero).
  EXPECT_TRUE(!run.status.ok() || run.exit_code != 0) << run.out << run.err;
  EXPECT_FALSE(absl::StrContains(run.out, "secret"));
  // A non-empty list replaces the defaults: /proc/keys is no longer masked.
  EXPECT_EQ(ShIn(id, "test -c /proc/keys && echo masked || echo visible"), "visible\n");
}

SILO_EXERCISES(SecurityContextConformance, ReadonlyPathsRefuseWrites, "LinuxContainerSecurityContext.readonly_paths");
TEST_F(SecurityContextConformance, ReadonlyPathsRefuseWrites) {
  ::runtime::v1::ContainerConfig c = WithData("c");
  c.mutable_linux()->mutable_security_context()->add_readonly_paths("/data/rw");
  std::string id;
  ASSERT_TRUE(CreateRecorded(c, &id).ok());
  ASSERT_TRUE(Start(id).ok());
  EXPECT_EQ(ShIn(id, "touch /data/rw/f 2>/dev/null && echo wrote || echo refused"), "refused\n");
  EXPECT_EQ(ShIn(id, "touch /data/other && echo wrote"), "wrote\n");
  // A non-empty list replaces the defaults: /proc/sys is writable again
  // (as root, for the container's own namespaces).
  EXPECT_EQ(ShIn(id, "grep -w /proc/sys /proc/self/mounts | grep -c ' ro,' || true"), "0\n");
}

TEST_F(SecurityContextConformance, EmptyMaskedAndReadonlyListsKeepTheRuntimeDefaults) {
  std::string id;
  std::string status = StatusWith([](auto*) {}, &id);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(ShIn(id, "test -c /proc/keys && echo masked"), "masked\n");
  EXPECT_EQ(ShIn(id, "echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo wrote || echo refused"), "refused\n");
}

SILO_EXERCISES(SecurityContextConformance, AddAllGivesEveryCapabilityTheNodeAllows,
               "LinuxContainerSecurityContext.capabilities", "Capability.add_capabilities");
TEST_F(SecurityContextConformance, AddAllGivesEveryCapabilityTheNodeAllows) {
  std::string id;
  std::string status = StatusWith([](auto* sc) { sc->mutable_capabilities()->add_add_capabilities("ALL"); }, &id);
  auto own = ReadFile("/proc/self/status");
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(CapMask(status, "Eff"), CapMask(*own, "Bnd"));
}

SILO_EXERCISES(SecurityContextConformance, DropAllThenAddKeepsOnlyTheAddedWithOrWithoutPrefix,
               "LinuxContainerSecurityContext.capabilities", "Capability.add_capabilities",
               "Capability.drop_capabilities");
TEST_F(SecurityContextConformance, DropAllThenAddKeepsOnlyTheAddedWithOrWithoutPrefix) {
  std::string id;
  std::string status = StatusWith(
      [](auto* sc) {
        sc->mutable_capabilities()->add_drop_capabilities("ALL");
        sc->mutable_capabilities()->add_add_capabilities("NET_ADMIN");    // 12
        sc->mutable_capabilities()->add_add_capabilities("CAP_SYS_TIME");  // 25
      },
      &id);
  EXPECT_EQ(CapMask(status, "Eff"), (uint64_t{1} << 12) | (uint64_t{1} << 25));
  EXPECT_EQ(CapMask(status, "Bnd"), (uint64_t{1} << 12) | (uint64_t{1} << 25));
}

TEST_F(SecurityContextConformance, DropAllLeavesNoCapability) {
  std::string id;
  std::string status = StatusWith([](auto* sc) { sc->mutable_capabilities()->add_drop_capabilities("all"); }, &id);
  EXPECT_EQ(CapMask(status, "Eff"), 0u);
  EXPECT_EQ(CapMask(status, "Bnd"), 0u);
}

TEST_F(SecurityContextConformance, DropOneWithoutPrefixRemovesItFromTheDefaults) {
  std::string id;
  std::string status = StatusWith([](auto* sc) { sc->mutable_capabilities()->add_drop_capabilities("chown"); }, &id);
  EXPECT_EQ(CapMask(status, "Eff") & 1u, 0u) << "CAP_CHOWN is bit 0";
  EXPECT_NE(CapMask(status, "Eff") & (uint64_t{1} << 5), 0u) << "CAP_KILL stays";
}

TEST_F(SecurityContextConformance, RunAsGroupWithoutRunAsUserIsInvalidArgumentNamingBoth) {
  ::runtime::v1::ContainerConfig c = Config("c", Sleeper());
  c.mutable_linux()->mutable_security_context()->mutable_run_as_group()->set_value(1001);
  std::string id;
  grpc::Status s = CreateRecorded(c, &id);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "run_as_group")) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "run_as_user")) << s.error_message();
  EXPECT_EQ(List().size(), 0u);
}

SILO_EXERCISES(SecurityContextConformance, RunAsUserAndGroupSetTheProcessIds,
               "LinuxContainerSecurityContext.run_as_user", "LinuxContainerSecurityContext.run_as_group",
               "LinuxContainerSecurityContext.supplemental_groups");
TEST_F(SecurityContextConformance, RunAsUserAndGroupSetTheProcessIds) {
  std::string id;
  std::string status = StatusWith(
      [](auto* sc) {
        sc->mutable_run_as_user()->set_value(1000);
        sc->mutable_run_as_group()->set_value(1001);
        sc->add_supplemental_groups(2002);
      },
      &id);
  EXPECT_TRUE(absl::StrContains(status, "Uid:\t1000\t1000\t1000\t1000")) << status;
  EXPECT_TRUE(absl::StrContains(status, "Gid:\t1001\t1001\t1001\t1001")) << status;
  bool in_groups = false;
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    if (absl::ConsumePrefix(&line, "Groups:")) {
      for (absl::string_view g : absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
        in_groups = in_groups || g == "2002";
      }
    }
  }
  EXPECT_TRUE(in_groups) << status;
}

class SeccompConformance : public ConformanceTest {
 protected:
  // In a pod with its own UTS namespace: can the RuntimeDefault-confined
  // container set the hostname?
  ExecResult SetHostname(bool sys_admin) {
    ::runtime::v1::PodSandboxConfig pod = PodConfig(sys_admin ? "admin" : "plain");
    std::string pod_id;
    grpc::Status s = RunPod(pod, &pod_id);
    EXPECT_TRUE(s.ok()) << s.error_message();
    ::runtime::v1::ContainerConfig c = Config("c", Sleeper());
    auto* sc = c.mutable_linux()->mutable_security_context();
    sc->mutable_seccomp()->set_profile_type(::runtime::v1::SecurityProfile::RuntimeDefault);
    if (sys_admin) sc->mutable_capabilities()->add_add_capabilities("SYS_ADMIN");
    std::string id = RunIn(pod_id, pod, c);
    if (id.empty()) return {};
    return Exec(id, {"sh", "-c", "hostname conformance-renamed && hostname"});
  }
};

SILO_EXERCISES(SeccompConformance, RuntimeDefaultAllowsSethostnameWithSysAdmin,
               "LinuxContainerSecurityContext.seccomp", "Capability.add_capabilities");
TEST_F(SeccompConformance, RuntimeDefaultAllowsSethostnameWithSysAdmin) {
  ExecResult r = SetHostname(true);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "conformance-renamed\n");
  EXPECT_NE(NodeHostname(), "conformance-renamed");
}

TEST_F(SeccompConformance, RuntimeDefaultBlocksSethostnameWithoutSysAdmin) {
  ExecResult r = SetHostname(false);
  EXPECT_NE(r.exit_code, 0) << r.out;
}

}  // namespace
}  // namespace silo::testing::conformance
