#include "runtime/windows/host_process.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/build_paths.h"
#include "runtime/base/file_util.h"

namespace silo::runtime::windows {
namespace {

// Compares with tests/testdata/windows/<name>; SILO_UPDATE_GOLDEN=1 rewrites it.
void ExpectGolden(const HostProcessPlan& plan, const std::string& name) {
  const std::string text = HostProcessPlanToJson(plan).dump(2) + "\n";
  const std::string path = silo::testing::SourceDir() + "/tests/testdata/windows/" + name;
  const char* update = std::getenv("SILO_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    ASSERT_TRUE(AtomicWriteFile(path, text).ok()) << path;
    return;
  }
  absl::StatusOr<std::string> want = ReadFile(path);
  ASSERT_TRUE(want.ok()) << want.status() << " (run with SILO_UPDATE_GOLDEN=1 to create it)";
  EXPECT_EQ(text, *want) << "golden " << path << " differs; review, then SILO_UPDATE_GOLDEN=1";
}

HostProcessInput CalicoNode() {
  HostProcessInput in;
  in.container_id = "5e1f";
  in.args = {"powershell.exe", "-File", "%CONTAINER_SANDBOX_MOUNT_POINT%\\calico\\start node.ps1"};
  in.env = {{"NODENAME", "win-1"}, {"CONTAINER_SANDBOX_MOUNT_POINT", "spoofed"}};
  in.working_directory = "$env:CONTAINER_SANDBOX_MOUNT_POINT\\calico";
  in.user = "NT AUTHORITY\\SYSTEM";
  in.mounts = {{"C:\\var\\lib\\kubelet\\pods\\p1\\volumes\\cfg", "C:\\etc\\calico", true},
               {"C:\\var\\log\\calico", "logs", false}};
  in.cpu_maximum = 2500;
  in.memory_limit_bytes = 512ll << 20;
  in.host_cpus = 4;
  return in;
}

TEST(HostProcessTest, WithBindFilterGolden) {
  absl::StatusOr<HostProcessPlan> plan = PlanHostProcess(CalicoNode());
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->job_name, "silo-hpc-5e1f");
  EXPECT_TRUE(plan->create_silo);
  EXPECT_EQ(plan->mount_point, "C:\\hpc");
  EXPECT_EQ(plan->command_line, "powershell.exe -File \"C:\\hpc\\calico\\start node.ps1\"");
  EXPECT_EQ(plan->working_directory, "C:\\hpc\\calico");
  EXPECT_EQ(plan->env.back(), (std::pair<std::string, std::string>{"CONTAINER_SANDBOX_MOUNT_POINT", "C:\\hpc\\"}));
  EXPECT_EQ(plan->env.size(), 2u) << "a spoofed mount point variable is replaced";
  EXPECT_EQ(plan->mounts[0].target, "C:\\etc\\calico");
  EXPECT_EQ(plan->mounts[1].target, "C:\\hpc\\logs");
  ExpectGolden(*plan, "host_process.json");
}

TEST(HostProcessTest, WithoutBindFilterEverythingLivesUnderAPerContainerRoot) {
  HostProcessInput in = CalicoNode();
  in.bind_filter_available = false;
  in.annotations[kHostProcessRootfsAnnotation] = "D:\\hostprocess\\";
  absl::StatusOr<HostProcessPlan> plan = PlanHostProcess(in);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_FALSE(plan->create_silo);
  EXPECT_EQ(plan->mount_point, "D:\\hostprocess\\5e1f");
  EXPECT_EQ(plan->command_line, "powershell.exe -File \"D:\\hostprocess\\5e1f\\calico\\start node.ps1\"");
  EXPECT_EQ(plan->mounts[0].target, "D:\\hostprocess\\5e1f\\etc\\calico");
  EXPECT_FALSE(plan->mounts[0].bind);
  ExpectGolden(*plan, "host_process_no_bindflt.json");
}

TEST(HostProcessTest, UsersFollowHcsshimRules) {
  HostProcessInput in = CalicoNode();
  in.user = "nt authority\\network service";
  EXPECT_EQ(PlanHostProcess(in)->logon, LogonKind::kServiceAccount);
  in.user = "HPC-Operators";
  EXPECT_EQ(PlanHostProcess(in)->logon, LogonKind::kLocalGroup);
  EXPECT_EQ(PlanHostProcess(in)->account, "HPC-Operators");
  in.annotations[kHostProcessInheritUserAnnotation] = "true";
  EXPECT_EQ(PlanHostProcess(in)->logon, LogonKind::kInherit);
  in.annotations.clear();
  for (const char* bad : {"CONTOSO\\alice", "alice@contoso.com", "NT AUTHORITY\\ANONYMOUS LOGON"}) {
    in.user = bad;
    absl::Status s = PlanHostProcess(in).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("run_as_username"), std::string::npos) << s;
  }
}

// hcsshim's processToken refuses an empty user unless the inherit-user
// annotation asks for silod's own token: running as SYSTEM must be asked for.
TEST(HostProcessTest, EmptyUserIsRejectedNamingTheField) {
  HostProcessInput in = CalicoNode();
  in.user = "";
  absl::Status s = PlanHostProcess(in).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("run_as_username"), std::string::npos) << s;
  EXPECT_NE(s.message().find(kHostProcessInheritUserAnnotation), std::string::npos) << s;
  in.annotations[kHostProcessInheritUserAnnotation] = "true";
  EXPECT_EQ(PlanHostProcess(in)->logon, LogonKind::kInherit);
  in.annotations[kHostProcessInheritUserAnnotation] = "false";
  EXPECT_EQ(PlanHostProcess(in).status().code(), absl::StatusCode::kInvalidArgument);
}

// hcsshim's rootfs locations end in a backslash (C:\hpc\, C:\hpc\<id>\) and
// the variable is set to them as they are; scripts join "$env:...\x" or
// "${env:...}x" and the latter breaks without it.
TEST(HostProcessTest, SandboxMountPointVariableEndsWithABackslash) {
  HostProcessInput in = CalicoNode();
  EXPECT_EQ(PlanHostProcess(in)->env.back(),
            (std::pair<std::string, std::string>{"CONTAINER_SANDBOX_MOUNT_POINT", "C:\\hpc\\"}));
  in.bind_filter_available = false;
  EXPECT_EQ(PlanHostProcess(in)->env.back(),
            (std::pair<std::string, std::string>{"CONTAINER_SANDBOX_MOUNT_POINT", "C:\\hpc\\5e1f\\"}));
  in.annotations[kHostProcessRootfsAnnotation] = "D:\\hostprocess";
  EXPECT_EQ(PlanHostProcess(in)->env.back().second, "D:\\hostprocess\\5e1f\\");
  // The expansion in arguments stays without it, as hcsshim's does.
  EXPECT_EQ(PlanHostProcess(in)->command_line,
            "powershell.exe -File \"D:\\hostprocess\\5e1f\\calico\\start node.ps1\"");
}

// Without the bind filter nothing appears at its real path, so hcsshim treats
// a working directory that does not name the mount point as relative to the
// container's volume: C:\ -> <root>, C:\work\dir -> <root>\work\dir.
TEST(HostProcessTest, WithoutBindFilterAPlainWorkingDirectoryIsReRootedUnderTheMountPoint) {
  HostProcessInput in = CalicoNode();
  in.bind_filter_available = false;
  auto wd = [&](const std::string& dir) {
    in.working_directory = dir;
    absl::StatusOr<HostProcessPlan> plan = PlanHostProcess(in);
    return plan.ok() ? plan->working_directory : plan.status().ToString();
  };
  EXPECT_EQ(wd("C:\\work\\dir"), "C:\\hpc\\5e1f\\work\\dir");
  EXPECT_EQ(wd("C:/work/dir/"), "C:\\hpc\\5e1f\\work\\dir");
  EXPECT_EQ(wd("C:\\"), "C:\\hpc\\5e1f");
  EXPECT_EQ(wd("C:"), "C:\\hpc\\5e1f");
  EXPECT_EQ(wd("work"), "C:\\hpc\\5e1f\\work");
  EXPECT_EQ(wd("\\work\\.\\dir"), "C:\\hpc\\5e1f\\work\\dir");
  // ".." cannot climb out of the volume.
  EXPECT_EQ(wd("C:\\a\\..\\..\\..\\Windows"), "C:\\hpc\\5e1f\\Windows");
  // Naming the mount point is already a host path: not joined twice.
  EXPECT_EQ(wd("%CONTAINER_SANDBOX_MOUNT_POINT%\\calico"), "C:\\hpc\\5e1f\\calico");
  EXPECT_EQ(wd(""), "C:\\hpc\\5e1f");
  // With the bind filter a plain path is the host's (or the silo's) own.
  in.bind_filter_available = true;
  EXPECT_EQ(wd("C:\\work\\dir"), "C:\\work\\dir");
}

// hcsshim expands the mount point in environment values too, so a variable
// can point into the container's volume (its location is known only here).
TEST(HostProcessTest, EnvironmentValuesNamingTheMountPointAreExpanded) {
  HostProcessInput in = CalicoNode();
  in.bind_filter_available = false;
  in.env = {{"CALICO_DIR", "%CONTAINER_SANDBOX_MOUNT_POINT%\\calico"},
            {"PS_DIR", "$env:CONTAINER_SANDBOX_MOUNT_POINT\\ps"}};
  absl::StatusOr<HostProcessPlan> plan = PlanHostProcess(in);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->env[0], (std::pair<std::string, std::string>{"CALICO_DIR", "C:\\hpc\\5e1f\\calico"}));
  EXPECT_EQ(plan->env[1], (std::pair<std::string, std::string>{"PS_DIR", "C:\\hpc\\5e1f\\ps"}));
}

// hcsshim starts every process from CreateEnvironmentBlock of its token and
// lays the container's variables over it; a process given only the
// container's variables has no SystemRoot, USERPROFILE, TEMP or PATH.
TEST(HostProcessTest, EnvironmentStartsFromTheUsersDefaultBlock) {
  HostProcessInput in = CalicoNode();
  in.env = {{"Path", "C:\\calico;"}, {"NODENAME", "win-1"}, {"userprofile", "C:\\calico-home"}};
  absl::StatusOr<HostProcessPlan> plan = PlanHostProcess(in);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(plan->merge_user_default_environment);
  const std::vector<std::string> user_default = {
      "ALLUSERSPROFILE=C:\\ProgramData", "PATH=C:\\Windows\\system32;C:\\Windows",
      "USERPROFILE=C:\\Windows\\system32\\config\\systemprofile", "SystemRoot=C:\\Windows"};
  // Names compare case-insensitively; the container's value (and spelling)
  // wins in the user's slot; PATH gets the mount point and PowerShell's and
  // WMI's directories.
  EXPECT_EQ(MergeHostProcessEnvironment(user_default, *plan),
            (std::vector<std::string>{
                "ALLUSERSPROFILE=C:\\ProgramData",
                "Path=C:\\calico;C:\\hpc\\;C:\\WINDOWS\\System32\\WindowsPowerShell\\v1.0\\;C:\\WINDOWS\\System32\\Wbem",
                "userprofile=C:\\calico-home", "SystemRoot=C:\\Windows", "NODENAME=win-1",
                "CONTAINER_SANDBOX_MOUNT_POINT=C:\\hpc\\"}));
  // The user's own PATH is extended when the container sets none.
  in.env = {};
  plan = PlanHostProcess(in);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(MergeHostProcessEnvironment(user_default, *plan),
            (std::vector<std::string>{
                "ALLUSERSPROFILE=C:\\ProgramData",
                "PATH=C:\\Windows\\system32;C:\\Windows;C:\\hpc\\;C:\\WINDOWS\\System32\\WindowsPowerShell\\v1.0\\;"
                "C:\\WINDOWS\\System32\\Wbem",
                "USERPROFILE=C:\\Windows\\system32\\config\\systemprofile", "SystemRoot=C:\\Windows",
                "CONTAINER_SANDBOX_MOUNT_POINT=C:\\hpc\\"}));
  // No PATH anywhere: none is invented.
  EXPECT_EQ(MergeHostProcessEnvironment({}, *plan),
            (std::vector<std::string>{"CONTAINER_SANDBOX_MOUNT_POINT=C:\\hpc\\"}));
}

TEST(HostProcessTest, CpuFollowsCountThenMaximumThenShares) {
  HostProcessInput in = CalicoNode();
  in.cpu_count = 1;  // one of four CPUs
  EXPECT_EQ(PlanHostProcess(in)->cpu_rate, 2500u);
  in.cpu_count = 64;  // clamped to the host: no cap at all
  EXPECT_EQ(PlanHostProcess(in)->cpu_rate, 0u);
  in.cpu_count = 0;
  in.cpu_maximum = 0;
  in.cpu_shares = 5000;
  EXPECT_EQ(PlanHostProcess(in)->cpu_weight, 5u);
  EXPECT_EQ(PlanHostProcess(in)->cpu_rate, 0u);
  in.cpu_shares = 10000;
  EXPECT_EQ(PlanHostProcess(in)->cpu_weight, 9u);
  in.cpu_maximum = 20000;
  EXPECT_EQ(PlanHostProcess(in).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(HostProcessTest, BadInputIsRejected) {
  HostProcessInput in = CalicoNode();
  in.args.clear();
  EXPECT_EQ(PlanHostProcess(in).status().code(), absl::StatusCode::kInvalidArgument);
  in = CalicoNode();
  in.annotations[kHostProcessRootfsAnnotation] = "relative\\dir";
  EXPECT_NE(PlanHostProcess(in).status().message().find(kHostProcessRootfsAnnotation), std::string::npos);
  in = CalicoNode();
  in.mounts.push_back({"", "C:\\x", false});
  EXPECT_NE(PlanHostProcess(in).status().message().find("mounts[2]"), std::string::npos);
  in = CalicoNode();
  in.env.push_back({"A=B", "c"});
  EXPECT_EQ(PlanHostProcess(in).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(HostProcessTest, PodsAreHostProcessAllOrNone) {
  EXPECT_TRUE(ValidateHostProcessPod(true, true).ok());
  EXPECT_TRUE(ValidateHostProcessPod(false, false).ok());
  EXPECT_EQ(ValidateHostProcessPod(true, false).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateHostProcessPod(false, true).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace silo::runtime::windows
