#include "runtime/linux/runc.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "runtime/base/file_util.h"
#include "runtime/linux/runc_testing.h"
#include "runtime/linux/seccomp_default.h"

namespace silo::runtime::linux_backend {
namespace {

using testing::BusyboxBundle;

// Each test gets a private runc root, a unique id and a cgroup of its own; the
// test process is a child subreaper so it can reap the container's init.
class RuncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "runc needs root";
    ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    char tmpl[] = "/tmp/silo-runc-root-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    runc_ = std::make_unique<Runc>("runc", root_);
    id_ = testing::UniqueContainerId();
    cgroup_ = "/" + id_;
  }
  void TearDown() override {
    if (runc_) (void)runc_->Delete(id_, /*force=*/true);
    std::error_code ec;
    if (!root_.empty()) std::filesystem::remove_all(root_, ec);
  }

  BusyboxBundle MakeBundle(std::vector<std::string> args, OciSpecInput in = {}) {
    in.process.args = std::move(args);
    in.process.env = {"PATH=/bin"};
    in.hostname = "silo-test";
    in.cgroups_path = cgroup_;
    auto bundle = BusyboxBundle::Create(in);
    EXPECT_TRUE(bundle.ok()) << bundle.status();
    return std::move(*bundle);
  }

  int ReadPid(const std::string& pid_file) {
    auto text = ReadFile(pid_file);
    EXPECT_TRUE(text.ok()) << text.status();
    int pid = 0;
    EXPECT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(text.value_or("")), &pid));
    return pid;
  }

  static std::string ReadAll(int fd) {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
      if (n > 0) out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  std::string root_, id_, cgroup_;
  std::unique_ptr<Runc> runc_;
};

TEST_F(RuncTest, EchoExitsThreeAndDeleteLeavesNothing) {
  BusyboxBundle bundle = MakeBundle({"/bin/sh", "-c", "echo hello; exit 3"});
  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  RuncStdio stdio;
  stdio.out = out[1];
  ASSERT_TRUE(runc_->Create(id_, bundle.dir(), bundle.path("pid"), "", stdio).ok());
  ::close(out[1]);
  int pid = ReadPid(bundle.path("pid"));
  auto state = runc_->State(id_);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->status, "created");
  EXPECT_EQ(state->pid, pid);
  EXPECT_EQ(state->bundle, bundle.dir());
  EXPECT_TRUE(testing::CgroupExists(cgroup_));
  EXPECT_TRUE(std::filesystem::exists(root_ + "/" + id_));

  ASSERT_TRUE(runc_->Start(id_).ok());
  EXPECT_EQ(ReadAll(out[0]), "hello\n");
  ::close(out[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  state = runc_->State(id_);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->status, "stopped");

  ASSERT_TRUE(runc_->Delete(id_, false).ok());
  EXPECT_EQ(runc_->State(id_).status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(root_ + "/" + id_));
  EXPECT_FALSE(testing::CgroupExists(cgroup_));
  EXPECT_TRUE(runc_->Delete(id_, false).ok());  // idempotent
}

// The default seccomp profile is applied by runc and denies what it leaves
// out (mount, even with CAP_SYS_ADMIN) while a shell runs normally; the same
// container without it may mount.
TEST_F(RuncTest, DefaultSeccompProfileDeniesMount) {
  if (!RuntimeSupportsSeccomp("runc")) GTEST_SKIP() << "runc without seccomp";
  auto run = [&](bool with_seccomp) {
    OciSpecInput in;
    in.process.cap_add = {"SYS_ADMIN"};
    if (with_seccomp) in.seccomp = DefaultSeccompProfile();
    BusyboxBundle bundle = MakeBundle(
        {"/bin/sh", "-c", "grep Seccomp: /proc/self/status; mount -t tmpfs none /tmp && echo mounted || echo denied"},
        in);
    int out[2];
    EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
    RuncStdio stdio;
    stdio.out = out[1];
    absl::Status created = runc_->Create(id_, bundle.dir(), bundle.path("pid"), "", stdio);
    ::close(out[1]);
    EXPECT_TRUE(created.ok()) << created;
    std::string output;
    if (created.ok()) {
      int pid = ReadPid(bundle.path("pid"));
      EXPECT_TRUE(runc_->Start(id_).ok());
      output = ReadAll(out[0]);
      int status = 0;
      EXPECT_EQ(::waitpid(pid, &status, 0), pid);
    }
    ::close(out[0]);
    EXPECT_TRUE(runc_->Delete(id_, true).ok());
    return output;
  };
  EXPECT_EQ(run(true), "Seccomp:\t2\ndenied\n");
  EXPECT_EQ(run(false), "Seccomp:\t0\nmounted\n");
}

TEST_F(RuncTest, SleepIsKilledWithSigkill) {
  BusyboxBundle bundle = MakeBundle({"/bin/sleep", "100"});
  ASSERT_TRUE(runc_->Create(id_, bundle.dir(), bundle.path("pid"), "", RuncStdio{}).ok());
  ASSERT_TRUE(runc_->Start(id_).ok());
  int pid = ReadPid(bundle.path("pid"));
  auto state = runc_->State(id_);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->status, "running");
  ASSERT_TRUE(runc_->Kill(id_, SIGKILL).ok());
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  ASSERT_TRUE(runc_->Delete(id_, false).ok());
  EXPECT_FALSE(testing::CgroupExists(cgroup_));
}

TEST_F(RuncTest, ForceDeleteStopsARunningContainer) {
  BusyboxBundle bundle = MakeBundle({"/bin/sleep", "100"});
  ASSERT_TRUE(runc_->Create(id_, bundle.dir(), bundle.path("pid"), "", RuncStdio{}).ok());
  ASSERT_TRUE(runc_->Start(id_).ok());
  int pid = ReadPid(bundle.path("pid"));
  EXPECT_FALSE(runc_->Delete(id_, false).ok());  // running: refused
  ASSERT_TRUE(runc_->Delete(id_, true).ok());
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_FALSE(std::filesystem::exists(root_ + "/" + id_));
}

TEST_F(RuncTest, ErrorsCarryRuncsMessage) {
  BusyboxBundle bundle = MakeBundle({"/bin/no-such-program"});
  absl::Status s = runc_->Create(id_, bundle.dir(), bundle.path("pid"), "", RuncStdio{});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no-such-program"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find(id_), absl::string_view::npos) << s;
  EXPECT_EQ(runc_->Kill("silo-test-missing", SIGTERM).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(runc_->State("silo-test-missing").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RuncTest, OomScoreAdjBelowOursIsClampedSoCreateSucceeds) {
  OciSpecInput in;
  in.process.args = {"/bin/cat", "/proc/self/oom_score_adj"};
  in.process.oom_score_adj = -999;
  in.cgroups_path = cgroup_;
  auto bundle = BusyboxBundle::Create(in);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  auto floor = ReadOwnOomScoreAdj();
  ASSERT_TRUE(floor.ok());
  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  RuncStdio stdio;
  stdio.out = out[1];
  absl::Status s = runc_->Create(id_, bundle->dir(), bundle->path("pid"), "", stdio);
  ::close(out[1]);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_TRUE(runc_->Start(id_).ok());
  EXPECT_EQ(ReadAll(out[0]), std::to_string(std::max(-999, *floor)) + "\n");
  ::close(out[0]);
  int status = 0;
  int pid = ReadPid(bundle->path("pid"));
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace silo::runtime::linux_backend
