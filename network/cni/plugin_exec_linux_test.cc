#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "network/cni/plugin_exec.h"
#include "runtime/base/file_util.h"

namespace silo::network::cni {
namespace {

class PluginExecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/silo-cniexec-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Script(const std::string& name, const std::string& body) {
    std::string path = dir_ + "/" + name;
    EXPECT_TRUE(AtomicWriteFile(path, "#!/bin/sh\n" + body, 0755).ok());
    return path;
  }

  PluginCall Call(const std::string& path) {
    PluginCall c;
    c.plugin_name = std::filesystem::path(path).filename().string();
    c.plugin_path = path;
    c.command = "ADD";
    c.container_id = "c1";
    c.netns = "/run/netns/x";
    c.ifname = "eth0";
    c.timeout = absl::Seconds(20);
    return c;
  }

  std::string dir_;
  std::unique_ptr<PluginExec> exec_ = NewPluginExec();
};

// Waits (bounded) for a process to be gone or a zombie nobody reaped yet.
bool ProcessGone(pid_t pid) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
    std::string line;
    if (!stat || !std::getline(stat, line)) return true;
    size_t paren = line.rfind(')');
    if (paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z') return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling a condition
  }
  return false;
}

TEST_F(PluginExecTest, PassesCniEnvironmentAndStdin) {
  std::string p = Script("echo", R"(echo "$CNI_COMMAND|$CNI_CONTAINERID|$CNI_NETNS|$CNI_IFNAME|$CNI_ARGS|$CNI_PATH|$HOME_SEEN"
cat
)");
  PluginCall c = Call(p);
  c.args = {{"K8S_POD_NAME", "web"}, {"IgnoreUnknown", "1"}};
  c.cni_path = {"/opt/cni/bin", dir_};
  c.stdin_data = R"({"cniVersion":"1.0.0"})";
  ::setenv("HOME_SEEN", "inherited", 1);
  ::setenv("CNI_COMMAND", "stale", 1);  // the call's value must win
  auto out = InvokePlugin(*exec_, c);
  ::unsetenv("HOME_SEEN");
  ::unsetenv("CNI_COMMAND");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, absl::StrCat("ADD|c1|/run/netns/x|eth0|K8S_POD_NAME=web;IgnoreUnknown=1|/opt/cni/bin:", dir_,
                               "|inherited\n{\"cniVersion\":\"1.0.0\"}"));
}

TEST_F(PluginExecTest, LargeStdinAndStdoutDoNotDeadlock) {
  std::string p = Script("cat", "cat\necho done >&2\n");
  PluginCall c = Call(p);
  c.stdin_data = std::string(3 << 20, 'x');
  auto out = InvokePlugin(*exec_, c);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->size(), c.stdin_data.size());
}

TEST_F(PluginExecTest, PluginIgnoringStdinDoesNotKillUs) {
  std::string p = Script("noread", "exit 0\n");
  PluginCall c = Call(p);
  c.stdin_data = std::string(4 << 20, 'x');  // more than a pipe holds
  auto out = InvokePlugin(*exec_, c);
  EXPECT_TRUE(out.ok()) << out.status();
}

TEST_F(PluginExecTest, DescriptorsDoNotLeakIntoPlugin) {
  int fd = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(fd, 3);
  std::string p = Script("fds", absl::StrCat("if [ -e /proc/$$/fd/", fd, " ]; then echo leaked; else echo clean; fi\n"));
  auto out = exec_->Run({p, {}, "", absl::Seconds(20)});
  ::close(fd);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->stdout_data, "clean\n");
  EXPECT_EQ(out->exit_code, 0);
}

TEST_F(PluginExecTest, ExitStatusAndStderrBecomeTheError) {
  std::string p = Script("failing", "echo 'cannot frobnicate eth0' >&2\nexit 3\n");
  PluginCall c = Call(p);
  c.command = "DEL";
  auto out = InvokePlugin(*exec_, c);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(out.status().message().find("CNI plugin \"failing\" DEL"), std::string::npos) << out.status();
  EXPECT_NE(out.status().message().find("exit code 3"), std::string::npos) << out.status();
  EXPECT_NE(out.status().message().find("cannot frobnicate eth0"), std::string::npos) << out.status();
}

TEST_F(PluginExecTest, CniErrorJsonBecomesTheError) {
  std::string p = Script("bad", R"(echo '{"cniVersion":"1.0.0","code":7,"msg":"invalid config","details":"no subnet"}'
echo noise >&2
exit 1
)");
  auto out = InvokePlugin(*exec_, Call(p));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("CNI plugin \"bad\" ADD"), std::string::npos) << out.status();
  EXPECT_NE(out.status().message().find("invalid config: no subnet (CNI error code 7)"), std::string::npos)
      << out.status();

  p = Script("gone", R"(echo '{"code":3,"msg":"no such container"}'; exit 1)");
  out = InvokePlugin(*exec_, Call(p));
  EXPECT_EQ(out.status().code(), absl::StatusCode::kNotFound) << out.status();
}

TEST_F(PluginExecTest, SignalIsReported) {
  std::string p = Script("crash", "kill -SEGV $$\n");
  auto out = InvokePlugin(*exec_, Call(p));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find(absl::StrCat("killed by signal ", SIGSEGV)), std::string::npos)
      << out.status();
}

TEST_F(PluginExecTest, HungPluginAndItsChildrenAreKilledAtTimeout) {
  // The helper keeps stdout open, so only the deadline can end the wait.
  std::string p = Script("hang", absl::StrCat("sleep 1000 &\necho $! > ", dir_, "/child\necho $$ > ", dir_,
                                              "/self\nsleep 1000\n"));
  PluginCall c = Call(p);
  c.timeout = absl::Milliseconds(500);
  auto start = std::chrono::steady_clock::now();
  auto out = InvokePlugin(*exec_, c);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(out.status().code(), absl::StatusCode::kDeadlineExceeded) << out.status();
  EXPECT_NE(out.status().message().find("CNI plugin \"hang\" ADD"), std::string::npos) << out.status();
  EXPECT_NE(out.status().message().find("did not finish within 500ms"), std::string::npos) << out.status();
  EXPECT_LT(took, std::chrono::seconds(10));
  for (const char* f : {"/child", "/self"}) {
    auto text = ReadFile(dir_ + f);
    ASSERT_TRUE(text.ok()) << text.status();
    int pid = 0;
    ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &pid)) << *text;
    EXPECT_TRUE(ProcessGone(pid)) << f << " pid " << pid << " survived";
  }
}

TEST_F(PluginExecTest, MissingOrNonExecutableBinary) {
  auto out = exec_->Run({dir_ + "/absent", {}, "", absl::Seconds(5)});
  EXPECT_EQ(out.status().code(), absl::StatusCode::kNotFound) << out.status();
  ASSERT_TRUE(AtomicWriteFile(dir_ + "/noexec", "#!/bin/sh\n", 0644).ok());
  out = exec_->Run({dir_ + "/noexec", {}, "", absl::Seconds(5)});
  EXPECT_EQ(out.status().code(), absl::StatusCode::kPermissionDenied) << out.status();
}

TEST_F(PluginExecTest, FindPluginBinary) {
  Script("bridge", "exit 0\n");
  auto p = FindPluginBinary({dir_ + "/none", dir_}, "bridge");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(*p, dir_ + "/bridge");
  EXPECT_EQ(FindPluginBinary({dir_}, "portmap").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(FindPluginBinary({dir_}, "../bridge").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace silo::network::cni
