// Containers as kubelet creates them: the process (command, args, working
// directory, environment, terminal, stdin), what ContainerStatus echoes back
// (metadata, image, labels, annotations), resources as cgroup limits, and
// the simpler security-context switches (read-only rootfs, no_new_privs, user
// by name, the deprecated seccomp path).
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "runtime/base/file_util.h"
#include "tests/conformance/conformance_fixture.h"

namespace silo::testing::conformance {
namespace {

class ContainerConformance : public ConformanceTest {
 protected:
  // Creates and starts `c` in the fixture's pod; "" (and a failure) if either fails.
  std::string Run(const ::runtime::v1::ContainerConfig& c) {
    std::string id;
    grpc::Status s = CreateRecorded(c, &id);
    if (!s.ok()) {
      ADD_FAILURE() << s.error_message();
      return "";
    }
    s = Start(id);
    if (!s.ok()) ADD_FAILURE() << s.error_message();
    return s.ok() ? id : "";
  }
};

SILO_EXERCISES(ContainerConformance, CommandArgsWorkingDirAndEnvsMakeTheProcess, "ContainerConfig.command",
               "ContainerConfig.args", "ContainerConfig.working_dir", "ContainerConfig.envs",
               "ContainerConfig.image", "ContainerConfig.metadata");
TEST_F(ContainerConformance, CommandArgsWorkingDirAndEnvsMakeTheProcess) {
  ::runtime::v1::ContainerConfig c = Config("c", {"sh", "-c"});
  // Not ending in a plain command, so the shell stays PID 1 (it would exec it).
  c.add_args("echo \"$0 $GREETING $(pwd)\"; sleep 3600; echo done");
  c.add_args("first-arg");
  c.set_working_dir("/tmp");
  auto* env = c.add_envs();
  env->set_key("GREETING");
  env->set_value("hello world");
  std::string id = Run(c);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(ShIn(id, "tr '\\0' ' ' < /proc/1/cmdline"), "sh -c echo \"$0 $GREETING $(pwd)\"; sleep 3600; echo done first-arg ");
  EXPECT_EQ(ShIn(id, "tr '\\0' '\\n' < /proc/1/environ | grep GREETING"), "GREETING=hello world\n");
  EXPECT_EQ(ShIn(id, "readlink /proc/1/cwd"), "/tmp\n");
  ::runtime::v1::ContainerStatus st = Status(id);
  EXPECT_EQ(st.metadata().name(), "c");
  EXPECT_EQ(st.image().image(), image_);
  EXPECT_FALSE(st.image_ref().empty());
}

SILO_EXERCISES(ContainerConformance, LabelsAndAnnotationsComeBackInStatusAndList, "ContainerConfig.labels",
               "ContainerConfig.annotations");
TEST_F(ContainerConformance, LabelsAndAnnotationsComeBackInStatusAndList) {
  ::runtime::v1::ContainerConfig c = Config("c", Sleeper());
  (*c.mutable_labels())["io.kubernetes.container.name"] = "c";
  (*c.mutable_annotations())["io.kubernetes.container.restartCount"] = "2";
  std::string id;
  ASSERT_TRUE(CreateRecorded(c, &id).ok());
  ::runtime::v1::ContainerStatus st = Status(id);
  EXPECT_EQ(st.labels().at("io.kubernetes.container.name"), "c");
  EXPECT_EQ(st.annotations().at("io.kubernetes.container.restartCount"), "2");
  auto list = List();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].labels().at("io.kubernetes.container.name"), "c");
  EXPECT_EQ(list[0].annotations().at("io.kubernetes.container.restartCount"), "2");
}

SILO_EXERCISES(ContainerConformance, TtyGivesTheProcessATerminal, "ContainerConfig.tty");
TEST_F(ContainerConformance, TtyGivesTheProcessATerminal) {
  ::runtime::v1::ContainerConfig c = Config("c", {"sh", "-c", "test -t 1 && echo terminal; sleep 3600"});
  c.set_tty(true);
  std::string id = Run(c);
  ASSERT_FALSE(id.empty());
  EXPECT_TRUE(absl::StartsWith(ShIn(id, "readlink /proc/1/fd/1"), "/dev/pts/"));
}

SILO_EXERCISES(ContainerConformance, StdinKeepsAReaderRunningWithoutItItSeesEndOfFile, "ContainerConfig.stdin",
               "ContainerConfig.stdin_once");
TEST_F(ContainerConformance, StdinKeepsAReaderRunningWithoutItItSeesEndOfFile) {
  ::runtime::v1::ContainerConfig open = Config("open", {"/bin/busybox", "cat"});
  open.set_stdin(true);
  open.set_stdin_once(true);
  std::string a = Run(open);
  std::string b = Run(Config("closed", {"/bin/busybox", "cat"}));
  ASSERT_FALSE(a.empty() || b.empty());
  EXPECT_EQ(WaitState(b, ::runtime::v1::CONTAINER_EXITED).exit_code(), 0);
  EXPECT_EQ(Status(a).state(), ::runtime::v1::CONTAINER_RUNNING) << "cat waits on the open stdin";
}

SILO_EXERCISES(ContainerConformance, ResourcesBecomeTheContainersCgroupLimits, "ContainerConfig.linux",
               "LinuxContainerConfig.resources");
TEST_F(ContainerConformance, ResourcesBecomeTheContainersCgroupLimits) {
  ::runtime::v1::ContainerConfig c = Config("c", Sleeper());
  auto* res = c.mutable_linux()->mutable_resources();
  res->set_memory_limit_in_bytes(64 << 20);
  res->set_cpu_period(100000);
  res->set_cpu_quota(50000);
  std::string id = Run(c);
  ASSERT_FALSE(id.empty());
  // Read on the node: the container's /proc/1/cgroup names its cgroups
  // (no cgroup namespace), whatever the hierarchy.
  auto read = [](const std::string& path) {
    return std::string(absl::StripAsciiWhitespace(ReadFile(path).value_or("unreadable " + path)));
  };
  if (::access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0) {
    std::string dir = "/sys/fs/cgroup" + std::string(absl::StripAsciiWhitespace(ShIn(id, "cut -d: -f3 /proc/1/cgroup")));
    EXPECT_EQ(read(dir + "/memory.max"), "67108864");
    EXPECT_EQ(read(dir + "/cpu.max"), "50000 100000");
  } else {
    std::string mem = std::string(absl::StripAsciiWhitespace(ShIn(id, "grep :memory: /proc/1/cgroup | cut -d: -f3")));
    std::string cpu = std::string(absl::StripAsciiWhitespace(ShIn(id, "grep -E ':cpu[,:]' /proc/1/cgroup | cut -d: -f3")));
    EXPECT_EQ(read("/sys/fs/cgroup/memory" + mem + "/memory.limit_in_bytes"), "67108864");
    EXPECT_EQ(read("/sys/fs/cgroup/cpu" + cpu + "/cpu.cfs_quota_us"), "50000");
    EXPECT_EQ(read("/sys/fs/cgroup/cpu" + cpu + "/cpu.cfs_period_us"), "100000");
  }
}

SILO_EXERCISES(ContainerConformance, ReadonlyRootfsRefusesWritesOutsideVolumes,
               "LinuxContainerConfig.security_context", "LinuxContainerSecurityContext.readonly_rootfs");
TEST_F(ContainerConformance, ReadonlyRootfsRefusesWritesOutsideVolumes) {
  ::runtime::v1::ContainerConfig c = Config("c", Sleeper());
  c.mutable_linux()->mutable_security_context()->set_readonly_rootfs(true);
  std::string id = Run(c);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(ShIn(id, "touch /tmp/f 2>/dev/null && echo wrote || echo refused"), "refused\n");
  EXPECT_EQ(ShIn(id, "touch /dev/shm/f && echo wrote"), "wrote\n");
}

SILO_EXERCISES(ContainerConformance, NoNewPrivsIsSetOnTheProcess, "LinuxContainerSecurityContext.no_new_privs");
TEST_F(ContainerConformance, NoNewPrivsIsSetOnTheProcess) {
  ::runtime::v1::ContainerConfig with = Config("with", Sleeper());
  with.mutable_linux()->mutable_security_context()->set_no_new_privs(true);
  std::string a = Run(with);
  std::string b = Run(Config("without", Sleeper()));
  ASSERT_FALSE(a.empty() || b.empty());
  EXPECT_EQ(ShIn(a, "grep NoNewPrivs /proc/1/status"), "NoNewPrivs:\t1\n");
  EXPECT_EQ(ShIn(b, "grep NoNewPrivs /proc/1/status"), "NoNewPrivs:\t0\n");
}

SILO_EXERCISES(ContainerConformance, AnUnknownRunAsUsernameIsRefused, "LinuxContainerSecurityContext.run_as_username");
TEST_F(ContainerConformance, AnUnknownRunAsUsernameIsRefused) {
  // The test image has no /etc/passwd: no name resolves.
  ::runtime::v1::ContainerConfig c = Config("c", Sleeper());
  c.mutable_linux()->mutable_security_context()->set_run_as_username("nobody-here");
  std::string id;
  grpc::Status s = CreateRecorded(c, &id);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "nobody-here")) << s.error_message();
  EXPECT_EQ(List().size(), 0u);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
SILO_EXERCISES(ContainerConformance, DeprecatedSeccompProfilePathRuntimeDefaultConfines,
               "LinuxContainerSecurityContext.seccomp_profile_path");
TEST_F(ContainerConformance, DeprecatedSeccompProfilePathRuntimeDefaultConfines) {
  ::runtime::v1::ContainerConfig c = Config("c", Sleeper());
  c.mutable_linux()->mutable_security_context()->set_seccomp_profile_path("runtime/default");
  std::string id = Run(c);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(ShIn(id, "grep Seccomp: /proc/1/status"), "Seccomp:\t2\n");
}
#pragma GCC diagnostic pop

SILO_EXERCISES(ContainerConformance, PrivilegedContainerInAnUnprivilegedPodIsRefused,
               "LinuxContainerSecurityContext.privileged");
TEST_F(ContainerConformance, PrivilegedContainerInAnUnprivilegedPodIsRefused) {
  ::runtime::v1::ContainerConfig c = Config("c", Sleeper());
  c.mutable_linux()->mutable_security_context()->set_privileged(true);
  std::string id;
  grpc::Status s = CreateRecorded(c, &id);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "privileged")) << s.error_message();
}

SILO_EXERCISES(ContainerConformance, StopSignalIsSentFirstOnStop, "ContainerConfig.stop_signal");
TEST_F(ContainerConformance, StopSignalIsSentFirstOnStop) {
  // PID 1 ignores SIGTERM without a handler: only SIGUSR1 ends it in time.
  ::runtime::v1::ContainerConfig c =
      Config("c", {"sh", "-c", "trap 'exit 42' USR1; echo ready; while true; do sleep 0.1; done"});
  ::runtime::v1::Signal usr1;  // by name: <signal.h> makes SIGUSR1 a macro
  ASSERT_TRUE(::runtime::v1::Signal_Parse("SIGUSR1", &usr1));
  c.set_stop_signal(usr1);
  std::string id = Run(c);
  ASSERT_FALSE(id.empty());
  for (int i = 0; i < 200 && !absl::StrContains(ReadFile(logs_.path() + "/c/0.log").value_or(""), "ready"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(Stop(id, 20).ok());
  EXPECT_EQ(Status(id).exit_code(), 42);
}

SILO_EXERCISES(ContainerConformance, DevicesAppearWithTheirCgroupPermissions, "ContainerConfig.devices");
TEST_F(ContainerConformance, DevicesAppearWithTheirCgroupPermissions) {
  // /dev/kmsg is outside runc's default device allow-list, so only the
  // rule made from `permissions` lets a write open it.
  ::runtime::v1::ContainerConfig c = Config("c", Sleeper());
  auto* rw = c.add_devices();
  rw->set_host_path("/dev/kmsg");
  rw->set_container_path("/dev/conformance-rw");
  rw->set_permissions("rw");
  std::string id = Run(c);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(ShIn(id, "test -c /dev/conformance-rw && echo device"), "device\n");
  EXPECT_EQ(ShIn(id, "echo silo-conformance > /dev/conformance-rw && echo written"), "written\n");

  ::runtime::v1::ContainerConfig r = Config("r", Sleeper());
  auto* ro = r.add_devices();
  ro->set_host_path("/dev/kmsg");
  ro->set_container_path("/dev/conformance-r");
  ro->set_permissions("r");
  std::string rid = Run(r);
  ASSERT_FALSE(rid.empty());
  EXPECT_EQ(ShIn(rid, "echo silo-conformance > /dev/conformance-r 2>/dev/null && echo written || echo refused"),
            "refused\n");
}

TEST_F(ContainerConformance, ADeviceThatIsNotADeviceNodeIsInvalidArgument) {
  ::runtime::v1::ContainerConfig c = Config("c", Sleeper());
  auto* d = c.add_devices();
  d->set_host_path("/etc/hostname");
  d->set_container_path("/dev/x");
  std::string id;
  grpc::Status s = CreateRecorded(c, &id);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(List().size(), 0u);
}

}  // namespace
}  // namespace silo::testing::conformance
