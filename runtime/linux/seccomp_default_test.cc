#include "runtime/linux/seccomp_default.h"

#include <stdlib.h>

#include <filesystem>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/base/file_util.h"

namespace silo::runtime::linux_backend {
namespace {

using nlohmann::json;

std::vector<std::string> AllowedNames(const json& profile) {
  std::vector<std::string> names;
  for (const auto& rule : profile["syscalls"]) {
    if (rule["action"] == "SCMP_ACT_ALLOW" && !rule.contains("args")) {
      for (const auto& n : rule["names"]) names.push_back(n.get<std::string>());
    }
  }
  return names;
}

TEST(SeccompDefaultTest, DeniesByDefaultAndAllowsTheUsualSyscalls) {
  const json& p = DefaultSeccompProfile();
  EXPECT_EQ(p["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(p["defaultErrnoRet"], 1);
  EXPECT_THAT(p["architectures"].get<std::vector<std::string>>(), ::testing::Contains("SCMP_ARCH_X86_64"));
  std::vector<std::string> allowed = AllowedNames(p);
  for (const char* name : {"read", "write", "openat", "execve", "mmap", "futex", "exit_group", "socket"}) {
    EXPECT_THAT(allowed, ::testing::Contains(name));
  }
  for (const char* name : {"mount", "umount2", "reboot", "kexec_load", "init_module", "bpf", "ptrace", "unshare",
                           "setns", "keyctl", "swapon", "clock_settime", "clone", "clone3", "personality"}) {
    EXPECT_THAT(allowed, ::testing::Not(::testing::Contains(name))) << name;
  }
  std::set<std::string> unique(allowed.begin(), allowed.end());
  EXPECT_EQ(unique.size(), allowed.size()) << "duplicate names";
  bool clone_masked = false, clone3_enosys = false;
  for (const auto& rule : p["syscalls"]) {
    if (rule["names"] == json::array({"clone"})) {
      clone_masked = rule["args"][0]["op"] == "SCMP_CMP_MASKED_EQ" && rule["args"][0]["value"] == 0x7E020000;
    }
    if (rule["names"] == json::array({"clone3"})) clone3_enosys = rule["errnoRet"] == 38;
  }
  EXPECT_TRUE(clone_masked);
  EXPECT_TRUE(clone3_enosys);
}

TEST(SeccompDefaultTest, CapabilitiesGrantTheSyscallsTheyGovernAsDockersProfileDoes) {
  EXPECT_EQ(DefaultSeccompProfileFor({"CAP_CHOWN", "CAP_KILL"}), DefaultSeccompProfile());
  json admin = DefaultSeccompProfileFor({"CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_SYS_TIME"});
  std::vector<std::string> allowed = AllowedNames(admin);
  for (const char* name : {"sethostname", "setdomainname", "mount", "umount2", "unshare", "setns", "clone", "clone3",
                           "clock_settime", "read"}) {
    EXPECT_THAT(allowed, ::testing::Contains(name)) << name;
  }
  for (const char* name : {"reboot", "ptrace", "init_module", "kexec_load"}) {
    EXPECT_THAT(allowed, ::testing::Not(::testing::Contains(name))) << name;
  }
  std::set<std::string> unique(allowed.begin(), allowed.end());
  EXPECT_EQ(unique.size(), allowed.size()) << "one rule per syscall";
  for (const auto& rule : admin["syscalls"]) {
    EXPECT_NE(rule["names"], json::array({"clone3"})) << "no second, conflicting clone3 rule";
    EXPECT_NE(rule["names"], json::array({"clone"})) << "no second, conflicting clone rule";
  }
  EXPECT_THAT(AllowedNames(DefaultSeccompProfileFor({"CAP_SYS_PTRACE"})), ::testing::Contains("ptrace"));
}

TEST(SeccompDefaultTest, LoadsLocalhostProfiles) {
  char tmpl[] = "/tmp/silo-seccomp-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  ASSERT_TRUE(AtomicWriteFile(dir + "/ok.json", R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]})").ok());
  ASSERT_TRUE(AtomicWriteFile(dir + "/bad.json", R"({"syscalls":[]})").ok());
  auto ok = LoadSeccompProfile(dir + "/ok.json");
  auto bad = LoadSeccompProfile(dir + "/bad.json");
  auto missing = LoadSeccompProfile(dir + "/missing.json");
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)["defaultAction"], "SCMP_ACT_ALLOW");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST(SeccompDefaultTest, ProbesTheRuntime) {
  EXPECT_FALSE(RuntimeSupportsSeccomp("/nonexistent/runc"));
  if (std::system("runc features 2>/dev/null | grep -q '\"enabled\": true'") == 0) {
    EXPECT_TRUE(RuntimeSupportsSeccomp("runc"));
  }
}

}  // namespace
}  // namespace silo::runtime::linux_backend
